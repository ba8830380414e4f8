import Foundation

extension UUID {
    /// A UUID version 7 (RFC 9562) for a row written now: milliseconds since 1970, then random bits. Rows written
    /// one after another get ids that sort after each other, so SQLite appends them to the primary-key index
    /// instead of touching a page anywhere in it (with 16 KiB pages, a commit writes each page it touched).
    static func timeOrdered(at date: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        let t = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let high = (t << 16) | 0x7000 | (generator.next() & 0x0fff)
        let low = (generator.next() & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000
        let b = withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) }
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    /// `uuidString` (upper case, as Fluent stores UUIDs on SQLite) without Foundation's formatted printing.
    var text: String {
        String(unsafeUninitializedCapacity: 36) { write(into: $0) }
    }

    /// `body` with the 36 bytes of `text` in a buffer on the stack: a bulk writer binds them without making a string.
    func withText<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { buffer in
            let count = write(into: buffer)
            return try body(UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Writes `text` into `out` (at least 36 bytes); returns 36.
    private func write(into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        withUnsafeBytes(of: uuid) { raw in
            var at = 0
            for i in 0..<16 {
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[at] = UInt8(ascii: "-")
                    at += 1
                }
                let high = raw[i] >> 4, low = raw[i] & 0xF
                out[at] = high < 10 ? UInt8(ascii: "0") + high : UInt8(ascii: "A") - 10 + high
                out[at + 1] = low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "A") - 10 + low
                at += 2
            }
            return at
        }
    }
}
