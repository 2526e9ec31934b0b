// bm25.mjs CHUNKS.jsonl QUERIES.tsv [path] - the search bench's baseline
// (scripts/bench-search): LangChain.js's BM25Retriever over the chunks, k = 10,
// each chunk a Document whose pageContent is its text (with "path": its path,
// a newline, then its text) and whose metadata holds its path. The retriever
// lower-cases and splits on white space, as it does for every user.
// QUERIES.tsv: one query per line, the text before the first tab. Prints, per
// query, its number and the paths of the chunks returned, best first, all
// tab-separated.
import { readFileSync } from "node:fs";
import { BM25Retriever } from "@langchain/community/retrievers/bm25";
import { Document } from "@langchain/core/documents";

const [chunksFile, queriesFile, withPath] = process.argv.slice(2);
const docs = readFileSync(chunksFile, "utf8").split("\n").filter((l) => l.length > 0)
	.map((l) => JSON.parse(l))
	.map((c) => new Document({
		pageContent: withPath === "path" ? c.path + "\n" + c.text : c.text,
		metadata: { path: c.path },
	}));
const retriever = BM25Retriever.fromDocuments(docs, { k: 10 });
const queries = readFileSync(queriesFile, "utf8").split("\n").filter((l) => l.length > 0);
let n = 0;
for (const line of queries) {
	const q = line.split("\t")[0];
	const got = await retriever.invoke(q);
	n++;
	process.stdout.write([String(n), ...got.map((d) => d.metadata.path)].join("\t") + "\n");
}
