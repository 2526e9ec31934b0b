// tests/chunks/bench.mjs ROOT REPORT.json - LangChain.js doing what
// `repodigest digest --format chunks` does, for scripts/bench: every text file
// the digest kept (its --report, so both chunk the same files), read, newlines
// translated, split with fromLanguage (languages.mjs, as oracle.mjs), one
// JSON line per chunk to stdout. Notebooks are left out.
import fs from "node:fs";
import path from "node:path";
import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import { languageOf } from "./languages.mjs";

const [root, reportPath] = process.argv.slice(2);
const opts = { chunkSize: 1000, chunkOverlap: 100 };
const splitters = new Map();
function splitterFor(p) {
  const lang = languageOf(p);
  if (!splitters.has(lang))
    splitters.set(lang, lang === "text" ? new RecursiveCharacterTextSplitter(opts)
      : RecursiveCharacterTextSplitter.fromLanguage(lang, opts));
  return splitters.get(lang);
}
const report = JSON.parse(fs.readFileSync(reportPath, "utf8"));
const out = [];
let n = 0;
for (const f of report.included) {
  if (f.type !== "text" || f.path.toLowerCase().endsWith(".ipynb")) continue;
  const text = fs.readFileSync(path.join(root, f.path), "utf8").replace(/\r\n?/g, "\n");
  const docs = await splitterFor(f.path).createDocuments([text]);
  docs.forEach((d, i) => {
    out.push(JSON.stringify({ path: f.path, chunk: i, start_line: d.metadata.loc.lines.from,
      end_line: d.metadata.loc.lines.to, text: d.pageContent }));
    n++;
  });
  if (out.length > 1000) { process.stdout.write(out.join("\n") + "\n"); out.length = 0; }
}
if (out.length) process.stdout.write(out.join("\n") + "\n");
process.stderr.write(`${n} chunks\n`);
