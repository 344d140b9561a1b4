const fs = require("fs");

function countLines(path, { skipBlank = true } = {}) {
  const text = fs.readFileSync(path, "utf8");
  let n = 0;
  for (const line of text.split("\n")) {
    if (skipBlank && line.trim() === "") continue;
    n += 1;
  }
  return n;
}

module.exports = { countLines };
