// tests/chunks/edge.mjs DIR - write the edge cases for the chunk comparison:
// files that probe the splitter where it is easiest to get wrong (CRLF, tabs,
// long lines and tokens, files smaller than one chunk, separators right at
// chunk edges, astral-plane and combining characters, empty and blank files)
// and a synthetic sample for every language in the table. Deterministic: the
// same DIR contents on every run (a fixed-seed generator, no clock).
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2];
fs.mkdirSync(dir, { recursive: true });
const put = (name, s) => {
  fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  fs.writeFileSync(path.join(dir, name), s);
};
let seed = 12345;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const words = ["alpha", "beta", "gamma", "delta", "if", "for", "class", "def",
  "fn", "func", "return", "x", "y", "é", "naïve", "日本語", "😀", "e\u0301", "\u00a0", "\u3000"];
const prose = (n) => { let s = ""; while (s.length < n) s += words[rnd(words.length)] + (rnd(9) ? " " : "\n"); return s; };

// gitingest calls a file binary when its first 1024 bytes are not strict
// UTF-8, which a multi-byte character cut at byte 1024 makes them: files with
// such characters start with this ASCII block so they stay text.
const head = "ascii head line\n".repeat(70);

put("empty.txt", "");
put("blank.txt", " \n\t\n   \n");
put("small.txt", "one line, much smaller than a chunk\n");
put("crlf.txt", (head + prose(3000)).replace(/\n/g, "\r\n"));
put("cr-only.txt", (head + prose(2500)).replace(/\n/g, "\r"));
put("tabs.py", ("\tdef f(x):\n\t\treturn x\t# tab\n\n").repeat(80));
put("long-line.txt", "word ".repeat(2000) + "\n" + "end\n");
put("long-token.txt", "x".repeat(5000) + " tail\n");
put("long-token-astral.txt", "😀".repeat(1500) + "a" + "😀".repeat(700));
put("astral.md", head + ("# 😀 title\n\n" + "😀🎉𝕏 ".repeat(300) + "\n\n").repeat(3));
put("combining.txt", ("e\u0301a\u0308o\u0302 ".repeat(400) + "\n").repeat(3));
put("bom.txt", "\ufeff" + head + prose(1500));
put("nbsp-edges.txt", ("\u00a0\u2003word\u2028\u3000 ").repeat(600));
put("repeats.txt", ("same block of text\n".repeat(60) + "\n").repeat(8));
put("repeat-words.txt", "ab ".repeat(3000));
// separators exactly at chunk edges: blocks sized to end at 1000 and 100
for (const n of [998, 999, 1000, 1001]) put(`edge-${n}.txt`, ("a".repeat(n) + "\n\n").repeat(4));
for (const n of [99, 100, 101]) put(`edge-ov-${n}.txt`, ("b".repeat(n) + " ").repeat(40));
put("edge-code.py", ("class A:\n" + "    x = 1\n".repeat(99)).repeat(4));
put("only-newlines.txt", "\n".repeat(3000));
put("only-spaces.txt", " ".repeat(3000) + "x");
put("controls.txt", "a\u0001b\u0008c\u000cd\"e\\f\u007f\u2028g".repeat(200));
put("random.txt", head + prose(20000));

// one sample per language: its separators, repeated past a few chunks
const code = {
  "s.c": "\nint main(void)\n{\n\tif (x) {\n\t\tfor (;;) {}\n\t}\n\twhile (1) {}\n\tswitch (c) {\n\tcase 1: break;\n\t}\n}\n\nvoid f(void) { double d; float g; }\nclass X {};\n",
  "s.h": "\n#define X 1\nint f(void);\nvoid g(int);\n",
  "s.go": "\nfunc main() {\n\tvar x = 1\n\tconst y = 2\n}\ntype T struct{}\nif x {\n}\nfor i := range a {\n}\nswitch {\ncase true:\n}\n",
  "S.java": "\nclass A {\npublic void f() {}\nprotected int g;\nprivate static int h;\n}\nstatic {}\nif (a) {}\nfor (;;) {}\nwhile (b) {}\nswitch (c) {\ncase 1:\n}\n",
  "s.js": "\nfunction f() {}\nconst a = 1;\nlet b = 2;\nvar c = 3;\nclass K {}\nif (a) {}\nfor (;;) {}\nwhile (0) {}\nswitch (a) {\ncase 1:\ndefault :\n}\n",
  "s.ts": "\nfunction f(x: number): number { return x }\nconst a: string = 'x';\nclass K { y = 1 }\n",
  "s.php": "<?php\nfunction f() {}\nclass A {}\nif ($a) {}\nforeach ($a as $b) {}\nwhile (0) {}\ndo {} while (0);\nswitch ($a) {\ncase 1:\n}\n",
  "s.proto": "\nsyntax = \"proto3\";\nimport \"x.proto\";\noption go_package = \"x\";\nmessage M { int32 a = 1; }\nservice S {}\nenum E { A = 0; }\n",
  "s.py": "\nclass A:\n    def f(self):\n        pass\n\tdef g(self): pass\ndef h():\n    return 1\n\n",
  "s.rst": "Title\n===\n\nSection\n---\n\nSub\n***\n\n.. note:: text\n\n",
  "s.rb": "\ndef f\nend\nclass A\nend\nif a\nend\nunless b\nend\nwhile c\nend\nfor i in x\nend\ndo\nbegin\nrescue\nend\n",
  "s.rs": "\nfn main() {\n}\nconst A: i32 = 1;\nlet b = 2;\nif x {}\nwhile y {}\nfor i in z {}\nloop {}\nmatch v {}\n",
  "s.scala": "\nclass A\nobject B\ndef f = 1\nval x = 2\nvar y = 3\nif (a) b\nfor (i <- x) y\nwhile (c) d\nv match {\ncase _ =>\n}\n",
  "s.swift": "\nfunc f() {}\nclass A {}\nstruct S {}\nenum E {}\nif a {}\nfor i in x {}\nwhile b {}\ndo {}\nswitch c {\ncase 1: break\n}\n",
  "s.md": "\n## Two\n\ntext\n### Three\n#### Four\n##### Five\n###### Six\n```\ncode\n```\n\n\n\n***\n\n\n\n---\n\n\n\n___\n\n",
  "s.tex": "\n\\chapter{A}\n\\section{B}\n\\subsection{C}\n\\subsubsection{D}\n\\begin{enumerate}\n\\begin{itemize}\n\\begin{description}\n\\begin{list}\n\\begin{quote}\n\\begin{quotation}\n\\begin{verse}\n\\begin{verbatim}\n\\begin{align}\n$$x$$ $y$\n",
  "s.html": "<html><head><title>t</title><meta><style></style><script></script></head><body><div><p>para<br>x</p><ul><li>a</li></ul><ol><li>b</li></ol><h1>1</h1><h2>2</h2><h3>3</h3><h4>4</h4><h5>5</h5><h6>6</h6><span>s</span><table><tr><th>h</th><td>d</td></tr></table><header></header><footer></footer><nav></nav></div></body></html>\n",
  "s.sol": "\npragma solidity ^0.8.0;\nusing X for Y;\ncontract C {\n}\ninterface I {}\nlibrary L {}\nconstructor () {}\ntype T is uint;\nfunction f() {}\nevent E();\nmodifier m() {}\nerror Err();\nstruct S {}\nenum En {}\nif (a) {}\nfor (;;) {}\nwhile (b) {}\ndo while (c);\nassembly {}\n",
};
for (const [name, body] of Object.entries(code)) {
  let s = "";
  while (s.length < 6000) s += body + prose(rnd(300));
  s = head + s;
  put(`lang/${name}`, s);
  // the same text with upper-case extension: the table ignores case
  if (name === "s.py") put("lang/UPPER.PY", s);
}
put("lang/no-extension", code["s.py"].repeat(30));
put("lang/.hidden.py", code["s.py"].repeat(30));
