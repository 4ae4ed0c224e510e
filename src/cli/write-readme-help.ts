/**
 * `npm run docs:cli`: writes every verb's `--help` into README.md between the cli-help markers
 * (test/cli.test.ts fails when the two differ, so the docs cannot drift from the program).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { buildProgram, helpListing } from "./program.js";

const file = new URL("../../README.md", import.meta.url);
const readme = readFileSync(file, "utf8");
const block = "<!-- cli-help:start -->\n```text\n" + helpListing(buildProgram(() => Promise.resolve(0))) + "```\n<!-- cli-help:end -->";
const pattern = /<!-- cli-help:start -->[\s\S]*?<!-- cli-help:end -->/;
if (!pattern.test(readme)) throw new Error("README.md has no <!-- cli-help:start --> … <!-- cli-help:end --> block");
writeFileSync(file, readme.replace(pattern, () => block));
