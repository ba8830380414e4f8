/// JSON written directly, for hot paths where `JSONEncoder` on Linux costs more than the work around it.
public enum JSONText {
    /// A JSON string literal (with quotes), or `null`.
    public static func string(_ v: String?) -> String {
        var out = ""
        append(v, to: &out)
        return out
    }

    /// Appends `v` as a JSON string literal (with quotes), or `null`.
    public static func append(_ v: String?, to out: inout String) {
        guard let v else {
            out += "null"
            return
        }
        out += "\""
        if !v.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += v
        } else {
            for scalar in v.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 { out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16) } else { out.unicodeScalars.append(scalar) }
                }
            }
        }
        out += "\""
    }

    /// Builds one JSON text in one string, member by member: no intermediate string per value. Inlinable, so that
    /// a caller in another module appends without a call per piece.
    public struct Writer {
        public var text = ""

        @inlinable public init(capacity: Int) { text.reserveCapacity(capacity) }

        /// JSON punctuation and member names (literals), written as they are.
        @inlinable public mutating func raw(_ s: String) { text += s }

        @inlinable public mutating func string(_ v: String?) { JSONText.append(v, to: &text) }

        @inlinable public mutating func int(_ v: Int?) { text += v.map(String.init) ?? "null" }

        @inlinable public mutating func bool(_ v: Bool?) { text += v.map { $0 ? "true" : "false" } ?? "null" }

        /// A comma before every element but the first of an array.
        @inlinable public mutating func separator(_ index: Int) { if index > 0 { text += "," } }
    }
}
