// tests/chunks/languages.mjs - the extension table of --format chunks
// (README.md, "Chunks"; src/chunk/split.c) for the LangChain.js side, shared
// by oracle.mjs and bench.mjs. Kept apart from the C table on purpose: a drift
// fails oracle.mjs's language check.
const EXT = {
  c: "cpp", h: "cpp", cc: "cpp", cpp: "cpp", cxx: "cpp", hh: "cpp", hpp: "cpp",
  hxx: "cpp", go: "go", java: "java", js: "js", jsx: "js", mjs: "js",
  cjs: "js", ts: "js", tsx: "js", mts: "js", cts: "js", php: "php",
  proto: "proto", py: "python", pyi: "python", rst: "rst", rb: "ruby",
  rs: "rust", scala: "scala", sc: "scala", swift: "swift", md: "markdown",
  markdown: "markdown", mdx: "markdown", tex: "latex", html: "html",
  htm: "html", sol: "sol",
};

// The language of path p, "text" when no separator list applies (no
// extension, or a name whose only dot leads it, as ".profile").
export function languageOf(p) {
  const base = p.slice(p.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return "text";
  return EXT[base.slice(dot + 1).toLowerCase()] ?? "text";
}
