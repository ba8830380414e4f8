/// JSON written directly, for hot paths where `JSONEncoder` on Linux costs more than the work around it.
public enum JSONText {
    /// A JSON string literal (with quotes), or `null`.
    public static func string(_ v: String?) -> String {
        guard let v else { return "null" }
        if !v.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { return "\"" + v + "\"" }
        var out = "\""
        out.reserveCapacity(v.utf8.count + 2)
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
        return out + "\""
    }
}
