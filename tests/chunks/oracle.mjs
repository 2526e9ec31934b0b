// tests/chunks/oracle.mjs ROOT REPORT.json OURS.jsonl [SIZE OVERLAP]
//
// Compare `repodigest digest --format chunks` with LangChain.js itself:
// RecursiveCharacterTextSplitter.fromLanguage(L, {chunkSize, chunkOverlap})
// .createDocuments([text]) (plain RecursiveCharacterTextSplitter where no
// language applies), for every text file the digest kept (its --report). The
// text is the file as the digest reads it: UTF-8 with a BOM kept, newlines
// translated as Python's universal newlines do. Notebooks are left out (their
// converted text is the digest's, checked by the golden tests).
//
// Checks per file: the same number of chunks, and for each chunk the text,
// loc.lines.from/to, the chunk number and the language; across files, that our
// lines come in the report's (digest) order. Prints one line per failure and
// "N passed, N failed" (a file is one check).
import fs from "node:fs";
import path from "node:path";
import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import { languageOf } from "./languages.mjs";

const [root, reportPath, oursPath, sizeArg, overlapArg] = process.argv.slice(2);
const chunkSize = Number(sizeArg ?? 1000);
const chunkOverlap = Number(overlapArg ?? 100);

const report = JSON.parse(fs.readFileSync(reportPath, "utf8"));
const ours = fs.readFileSync(oursPath, "utf8").split("\n").filter((l) => l !== "")
  .map((l, i) => {
    try { return JSON.parse(l); } catch (e) { return { bad: `line ${i + 1}: ${e.message}` }; }
  });
const byPath = new Map();
const order = [];
for (const c of ours) {
  if (c.bad) { console.log(`FAIL chunks: ${c.bad}`); continue; }
  if (!byPath.has(c.path)) { byPath.set(c.path, []); order.push(c.path); }
  byPath.get(c.path).push(c);
}

let pass = 0, fail = 0, skipped = 0;
const bad = (msg) => { fail++; console.log(`FAIL chunks: ${msg}`); };
const show = (s) => JSON.stringify(s.length > 80 ? s.slice(0, 80) + "..." : s);
const expectedOrder = [];
const notebooks = new Set(report.included.map((f) => f.path)
  .filter((p) => p.toLowerCase().endsWith(".ipynb")));
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

for (const f of report.included) {
  if (f.type !== "text") continue;
  if (f.path.toLowerCase().endsWith(".ipynb")) {
    skipped++;
    byPath.delete(f.path);
    continue;
  }
  let text;
  try {
    text = decoder.decode(fs.readFileSync(path.join(root, f.path)));
  } catch (e) {
    bad(`${f.path}: cannot read as UTF-8: ${e.message}`);
    continue;
  }
  text = text.replace(/\r\n?/g, "\n");
  const lang = languageOf(f.path);
  const opts = { chunkSize, chunkOverlap };
  const splitter = lang === "text" ? new RecursiveCharacterTextSplitter(opts)
    : RecursiveCharacterTextSplitter.fromLanguage(lang, opts);
  const docs = await splitter.createDocuments([text]);
  const got = byPath.get(f.path) ?? [];
  byPath.delete(f.path);
  if (docs.length > 0) expectedOrder.push(f.path);
  let why = null;
  if (got.length !== docs.length) {
    why = `${docs.length} chunks from LangChain, ${got.length} from us`;
  }
  for (let i = 0; why === null && i < docs.length; i++) {
    const d = docs[i], c = got[i];
    if (c.text !== d.pageContent)
      why = `chunk ${i}: text ${show(c.text)}, LangChain ${show(d.pageContent)}`;
    else if (c.start_line !== d.metadata.loc.lines.from || c.end_line !== d.metadata.loc.lines.to)
      why = `chunk ${i}: lines ${c.start_line}-${c.end_line}, LangChain ` +
        `${d.metadata.loc.lines.from}-${d.metadata.loc.lines.to}`;
    else if (c.chunk !== i) why = `chunk ${i} numbered ${c.chunk}`;
    else if (c.language !== lang) why = `language ${c.language}, want ${lang}`;
    else if (!/^[0-9a-f]{32}$/.test(c.id) || !Number.isInteger(c.tokens))
      why = `chunk ${i}: bad id or tokens`;
  }
  if (why) bad(`${f.path}: ${why}`); else pass++;
}
for (const p of byPath.keys()) bad(`${p}: chunks for a file the report does not list as text`);
if (JSON.stringify(order.filter((p) => !notebooks.has(p))) !==
    JSON.stringify(expectedOrder)) bad("files are not in digest order");
else pass++;
if (skipped) console.log(`(${skipped} notebooks not compared)`);
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
