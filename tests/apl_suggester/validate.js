// Validates APL documents with Amazon's apl-suggester (the APL authoring tool's checks).
// stdin: {"<name>": {"document": {...}, "datasources": {...}}, ...}
// stdout: {"<name>": [{"path", "level", "message"}, ...], ...}
"use strict";
const { StaticAplTemplateValidator } = require("apl-suggester");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const screens = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const validator = new StaticAplTemplateValidator();
  const report = {};
  for (const [name, { document, datasources }] of Object.entries(screens)) {
    const found = [
      ...(await validator.validate(document)),
      ...(datasources ? await validator.validateDataSources(datasources) : []),
    ];
    report[name] = found.map((info) => ({
      path: info.path,
      level: info.level || "WARNING",
      message: info.errorMessage,
    }));
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
