// validate.js checks FHIR R4 JSON files with the validator of the npm
// "fhir" package (written by others, not by kindling): every resource of a
// Bundle is checked against the R4 structure definitions and value sets,
// unknown properties included. It prints each problem and exits 1 when a
// file has an error or a fatal problem, 0 when every file is valid.
//
//   node validate.js export.json [more.json ...]
"use strict";
const fs = require("fs");
const { Fhir } = require("fhir");

const fhir = new Fhir();
let failed = false;
for (const file of process.argv.slice(2)) {
  let resource;
  try {
    resource = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    console.log(`${file}: not JSON: ${err.message}`);
    failed = true;
    continue;
  }
  const result = fhir.validate(resource, { errorOnUnexpected: true });
  const bad = result.messages.filter((m) => m.severity === "error" || m.severity === "fatal");
  let info = 0;
  for (const m of result.messages) {
    if (m.severity === "info" || m.severity === "information") {
      info++; // such as a value set the package does not carry
      continue;
    }
    console.log(`${file}: ${m.severity}: ${m.resourceId || ""} ${m.location || ""}: ${m.message}`);
  }
  const entries = Array.isArray(resource.entry) ? resource.entry.length : 0;
  console.log(`${file}: ${result.valid && bad.length === 0 ? "valid" : "INVALID"} (${resource.resourceType}, ${entries} entries, ${bad.length} errors, ${result.messages.length - bad.length - info} warnings, ${info} notes)`);
  if (!result.valid || bad.length > 0) {
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
