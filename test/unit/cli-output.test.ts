// The CLI's CSV output (-o csv): RFC 4180 quoting, a header line, -c columns.
import { describe, expect, it } from "vitest";
import { columnsCsv, csvField } from "../../src/cli/output.js";

describe("CLI CSV output", () => {
  it("quotes a field only when it holds a comma, a quote or a line break, doubling quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\r")).toBe('"cr\r"');
    expect(csvField(null)).toBe("");
    expect(csvField(undefined)).toBe("");
    expect(csvField(3)).toBe("3");
  });

  it("prints a header line and one line per row, of the chosen columns", () => {
    let text = "";
    const out = {
      write: (chunk: string) => {
        text += chunk;
      },
    };
    const columns = { name: (r: { n: string }) => r.n, "full name": (r: { n: string }) => `${r.n}, Jr.` };
    columnsCsv(out, columns, [{ n: "ann" }, { n: 'b"o' }], undefined);
    expect(text).toBe('name,full_name\nann,"ann, Jr."\n"b""o","b""o, Jr."\n');
    text = "";
    columnsCsv(out, columns, [], ["full-name"]);
    expect(text).toBe("full_name\n");
  });
});
