/// Base64 (RFC 4648) written straight into a byte buffer: sealed values are made for every imported row, and
/// credentials for every issued certificate, where Foundation's `Data` round trips cost more than the encoding.
public enum Base64 {
    /// `+/` with `=` padding (§4, what `Data.base64EncodedString()` writes), or `-_` without padding (§5, as JOSE
    /// writes it).
    public enum Variant: Sendable {
        case standard, url
    }

    public static func encoded(_ bytes: [UInt8], _ variant: Variant = .standard) -> String {
        var out: [UInt8] = []
        append(bytes, to: &out, variant)
        return String(decoding: out, as: UTF8.self)
    }

    public static func append(_ bytes: [UInt8], to out: inout [UInt8], _ variant: Variant = .standard) {
        let full = bytes.count / 3 * 3
        let rest = bytes.count - full
        let start = out.count
        let length = full / 3 * 4 + (rest == 0 ? 0 : variant == .standard ? 4 : rest + 1)
        out.append(contentsOf: repeatElement(UInt8(ascii: "="), count: length))
        (variant == .standard ? standardAlphabet : urlAlphabet).withUnsafeBufferPointer { alphabet in
            bytes.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { buffer in
                    var o = start
                    var i = 0
                    while i < full {
                        let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                        buffer[o] = alphabet[Int(v >> 18 & 63)]; buffer[o + 1] = alphabet[Int(v >> 12 & 63)]
                        buffer[o + 2] = alphabet[Int(v >> 6 & 63)]; buffer[o + 3] = alphabet[Int(v & 63)]
                        i += 3
                        o += 4
                    }
                    if rest > 0 {
                        let v = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                        buffer[o] = alphabet[Int(v >> 18 & 63)]; buffer[o + 1] = alphabet[Int(v >> 12 & 63)]
                        if rest == 2 { buffer[o + 2] = alphabet[Int(v >> 6 & 63)] }
                    }
                }
            }
        }
    }

    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
}
