/**
 * `/v1/form.js`: added to a site's comment form, it adds a honeypot field people never see and
 * records the time from render to submit in a hidden field; the site's server passes both on
 * (`honeypot`, `timeToSubmitMs`, or Akismet's `honeypot_field_name`). No dependencies, ES5 so it
 * runs on any browser a commenter has; ≤ 2 KB gzipped (test/form-helper.test.ts measures it).
 *
 * The honeypot sits off-screen rather than `display:none` (some bots skip hidden inputs), inside an
 * `aria-hidden` box so screen readers skip it, with `tabindex=-1` so the keyboard never lands in it
 * and `autocomplete=off` so the browser's autofill leaves it empty. Its default name sounds like a
 * real field, which is what makes a bot fill it.
 *
 * Options on the script tag: `data-form` (CSS selector, default `form[data-commentinel]`),
 * `data-honeypot` (field name, default `cmt_homepage`), `data-time` (default `cmt_time_ms`).
 */
export const FORM_SCRIPT = `/*! Commentinel form helper: a honeypot field and the time to submit. */
(function () {
  var me = document.currentScript;
  function opt(k, d) { return (me && me.getAttribute("data-" + k)) || d; }
  var HP = opt("honeypot", "cmt_homepage"), TT = opt("time", "cmt_time_ms"), SEL = opt("form", "form[data-commentinel]");
  function now() { return window.performance && performance.now ? performance.now() : new Date().getTime(); }
  function arm(form) {
    if (form.getAttribute("data-commentinel-armed") !== null) return;
    form.setAttribute("data-commentinel-armed", "");
    var t0 = now();
    var box = document.createElement("div");
    box.setAttribute("aria-hidden", "true");
    box.style.cssText = "position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden";
    var label = document.createElement("label");
    label.appendChild(document.createTextNode("Leave this field empty "));
    var hp = document.createElement("input");
    hp.type = "text";
    hp.name = HP;
    hp.value = "";
    hp.tabIndex = -1;
    hp.setAttribute("autocomplete", "off");
    label.appendChild(hp);
    box.appendChild(label);
    var tt = document.createElement("input");
    tt.type = "hidden";
    tt.name = TT;
    form.appendChild(box);
    form.appendChild(tt);
    function stamp() { tt.value = String(Math.round(now() - t0)); }
    form.addEventListener("submit", stamp, true);
    // new FormData(form) for a fetch() submit fires this too.
    form.addEventListener("formdata", function (e) { stamp(); e.formData.set(TT, tt.value); });
  }
  function run() {
    var forms = document.querySelectorAll(SEL);
    for (var i = 0; i < forms.length; i++) arm(forms[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
  window.commentinelForm = { arm: arm };
})();
`;
