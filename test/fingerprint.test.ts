import { describe, expect, it } from "vitest";
import {
  DEFAULT_SCORE_OPTIONS,
  campaignTokens,
  createMemoryModel,
  estimateJaccard,
  fingerprint,
  learnSite,
  matchCandidates,
  score,
  scoringData,
  tokenize,
  type CampaignCandidate,
} from "../src/classifier/index.js";

const SPAM = "Hey guys check out my new channel at https://www.spam-site.example.com/abc?x=1 I post funny videos every day, please subscribe!";

function candidate(content: string, over: Partial<CampaignCandidate> = {}): CampaignCandidate {
  const fp = fingerprint(content);
  return { commentId: "c1", siteId: "s2", campaignId: null, textHash: fp.textHash, minhash: fp.minhash, decidedSpam: false, ...over };
}

describe("fingerprint", () => {
  it("hashes the same text alike through case, spacing, punctuation, look-alikes, invisibles and link paths", () => {
    const base = fingerprint(SPAM).textHash;
    expect(fingerprint("HEY guys   check out my new channel at http://spam-site.example.com/other I post funny videos every day please subscribe").textHash).toBe(base);
    // Cyrillic е and а, a zero-width space inside a word, full-width letters.
    expect(fingerprint("Hеy guys ch\u200Beck out my new chаnnel at https://spam-site.example.com I post ｆｕｎｎｙ videos every day, please subscribe!").textHash).toBe(base);
    expect(fingerprint("Hey guys check out my new channel at https://other-site.example.net I post funny videos every day, please subscribe!").textHash).not.toBe(base);
  });

  it("reduces links to their registrable domain with the Public Suffix List, private suffixes included", () => {
    expect(fingerprint("see www.shop.example.co.uk/a and <a href='https://me.blogspot.com/p'>here</a>").domains).toEqual(["example.co.uk", "me.blogspot.com"]);
  });

  it("gives short texts no MinHash and long texts 16 band keys", () => {
    expect(fingerprint("nice video").short).toBe(true);
    expect(fingerprint("nice video").minhash).toBeNull();
    const long = fingerprint(SPAM);
    expect(long.short).toBe(false);
    expect(long.minhash).toHaveLength(64);
    expect(new Set(long.bands).size).toBe(16);
  });

  it("estimates a light rewording above 0.7 and an unrelated text near 0", () => {
    const a = fingerprint(SPAM).minhash!;
    const reworded = fingerprint("Hey guys check out my brand new channel at https://spam-site.example.com I post funny videos every single day, please subscribe!!").minhash!;
    const other = fingerprint("I love this song so much, it reminds me of the summer with my friends back in 2012").minhash!;
    expect(estimateJaccard(a, reworded)).toBeGreaterThanOrEqual(0.7);
    expect(estimateJaccard(a, other)).toBeLessThan(0.3);
  });
});

describe("matchCandidates", () => {
  it("clusters a near-duplicate from another site and says nothing of seen-before there", () => {
    const fp = fingerprint("Hey guys check out my brand new channel at https://spam-site.example.com I post funny videos every single day, please subscribe!!");
    const out = matchCandidates(fp, "s1", [candidate(SPAM)]);
    expect(out.matches).toHaveLength(1);
    expect(out.seenBefore).toBe(false);
  });

  it("does not cluster common short ham, even when the same words come from many sites", () => {
    const fp = fingerprint("nice video!");
    const others = ["s2", "s3", "s4", "s1"].map((siteId, i) => candidate("Nice video", { siteId, commentId: `c${i}` }));
    const out = matchCandidates(fp, "s1", others);
    expect(out.matches).toEqual([]);
    // The same site had it before: that is the exact-repeat signal, not a campaign.
    expect(out.seenBefore).toBe(true);
  });

  it("clusters a short text with a link, and a short one its own site decided spam", () => {
    expect(matchCandidates(fingerprint("free coins at coins.example.com"), "s1", [candidate("FREE coins at coins.example.com/x")]).matches).toHaveLength(1);
    expect(matchCandidates(fingerprint("buy now!!!"), "s1", [candidate("buy now", { siteId: "s1", decidedSpam: true })]).matches).toHaveLength(1);
    // Another site's decision does not make a short text a campaign here.
    expect(matchCandidates(fingerprint("buy now!!!"), "s1", [candidate("buy now", { siteId: "s2", decidedSpam: true })]).matches).toEqual([]);
  });
});

describe("campaign tokens", () => {
  it("become model tokens: one size bucket, sites, and how members were decided", () => {
    expect(campaignTokens({ size: 14, sites: 3, decidedSpam: 2, decidedHam: 0 })).toEqual(["campaign:size=5+", "campaign:sites=3+", "campaign:decided-spam"]);
    expect(campaignTokens({ size: 1, sites: 1, decidedSpam: 0, decidedHam: 0 })).toEqual([]);
    const tokens = tokenize({ content: "hello there", seenBefore: true, campaign: { size: 25, sites: 2, decidedSpam: 0, decidedHam: 1 } });
    expect(tokens).toEqual(expect.arrayContaining(["meta:seen-before", "campaign:size=20+", "campaign:sites=2", "campaign:decided-ham"]));
  });
});

describe("campaign evidence in the score", () => {
  // A model where copies of decided-spam campaigns were spam and the words are the ham's: the
  // text alone looks like ham, and only the campaign says otherwise.
  const model = createMemoryModel();
  for (let i = 0; i < 20; i++) {
    learnSite(model, "s", tokenize({ content: `lovely melody and great singing, number ${i % 5}` }), "ham");
    learnSite(model, "s", tokenize({ content: `subscribe to my channel for more, number ${i % 5}` }), "spam");
  }
  for (let i = 0; i < 6; i++) {
    learnSite(model, "s", tokenize({ content: `great singing and a lovely tune ${i}`, campaign: { size: 5, sites: 2, decidedSpam: 3, decidedHam: 0 } }), "spam");
  }
  for (let i = 0; i < 4; i++) {
    learnSite(model, "s", tokenize({ content: `official video link ${i}`, campaign: { size: 2, sites: 1, decidedSpam: 0, decidedHam: 1 } }), "ham");
  }
  const scoreOf = (features: Parameters<typeof tokenize>[0], options = DEFAULT_SCORE_OPTIONS) => {
    const tokens = tokenize(features);
    return score(tokens, scoringData(model, "s", tokens), options);
  };
  const copy = { content: "what a lovely melody and great singing here", campaign: { size: 6, sites: 2, decidedSpam: 3, decidedHam: 0 } };

  it("adds the strongest campaign token's learned log-likelihood ratio to the text's log-odds, and lists it among the reasons", () => {
    const alone = scoreOf({ content: copy.content });
    const added = scoreOf(copy);
    const asClue = scoreOf(copy, { ...DEFAULT_SCORE_OPTIONS, campaignEvidence: "clue" });
    expect(alone.probability).toBeLessThan(0.3);
    expect(added.probability).toBeGreaterThan(alone.probability);
    // The old way: each campaign token one more chi-square clue, another score.
    expect(asClue.probability).not.toBeCloseTo(added.probability, 3);
    // Its three campaign tokens were learned alike: one fact, counted once.
    const campaignReasons = added.reasons.filter((r) => r.token.startsWith("campaign:"));
    expect(campaignReasons).toHaveLength(1);
    const logOdds = (p: number) => Math.log(p / (1 - p));
    expect(logOdds(added.probability)).toBeCloseTo(logOdds(alone.probability) + logOdds(campaignReasons[0]!.probability), 6);
  });

  it("lets how the members were decided speak for the campaign, over its size", () => {
    // Large and on two sites (tokens learned spammy), but its copies were decided ham.
    const decidedHam = scoreOf({ content: "check this out everyone", campaign: { size: 6, sites: 2, decidedSpam: 0, decidedHam: 2 } });
    expect(decidedHam.reasons.filter((r) => r.token.startsWith("campaign:")).map((r) => r.token)).toEqual(["campaign:decided-ham"]);
    expect(decidedHam.probability).toBeLessThan(scoreOf({ content: "check this out everyone" }).probability);
    const undecided = scoreOf({ content: "check this out everyone", campaign: { size: 6, sites: 2, decidedSpam: 0, decidedHam: 0 } });
    expect(undecided.probability).toBeGreaterThan(scoreOf({ content: "check this out everyone" }).probability);
  });

  it("moves nothing for a campaign token the model never learned", () => {
    const unknown = scoreOf({ content: copy.content, campaign: { size: 25, sites: 4, decidedSpam: 0, decidedHam: 0 } });
    expect(unknown.probability).toBeCloseTo(scoreOf({ content: copy.content }).probability, 12);
  });
});
