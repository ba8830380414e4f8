import Testing
@testable import SkillCertDocuments

@Suite("QR codes")
struct QRCodeTests {
    /// The 7 × 7 finder pattern: dark ring, light ring, dark 3 × 3 centre.
    func hasFinder(_ m: QRMatrix, row: Int, column: Int) -> Bool {
        (0..<7).allSatisfy { r in
            (0..<7).allSatisfy { c in
                let ring = min(r, c, 6 - r, 6 - c)
                return m[row + r, column + c] == (ring != 1)
            }
        }
    }

    @Test("a ticket number gives a version 1 symbol with its three finder patterns")
    func ticketNumber() throws {
        let m = try QRCode.matrix(for: "20260600015", level: .medium)
        #expect(m.version == 1)
        #expect(m.size == 21)
        #expect(m.modules.count == 21 * 21)
        #expect(hasFinder(m, row: 0, column: 0))
        #expect(hasFinder(m, row: 0, column: m.size - 7))
        #expect(hasFinder(m, row: m.size - 7, column: 0))
        #expect(!hasFinder(m, row: m.size - 7, column: m.size - 7))
        #expect(m.rows.count == m.size && m.rows.allSatisfy { $0.count == m.size })
        #expect(m.rows[3][2] == m[3, 2])
    }

    @Test("the same text gives the same symbol; different text a different one")
    func deterministic() throws {
        #expect(try QRCode.matrix(for: "A-0001") == QRCode.matrix(for: "A-0001"))
        #expect(try QRCode.matrix(for: "A-0001") != QRCode.matrix(for: "a-0001"))   // case kept
    }

    @Test("more error correction or more text needs a larger symbol")
    func sizes() throws {
        let text = "https://skillcert.example.cn/check-in/20260600015?k=3f9a"
        let low = try QRCode.matrix(for: text, level: .low)
        let high = try QRCode.matrix(for: text, level: .high)
        #expect(high.size > low.size)
        #expect(low.size == 17 + 4 * low.version)
        let longer = try QRCode.matrix(for: String(repeating: text, count: 4), level: .low)
        #expect(longer.size > low.size)
    }

    @Test("empty, NUL and over-long input are refused")
    func refused() {
        #expect(throws: QRCodeError.empty) { try QRCode.matrix(for: "") }
        #expect(throws: QRCodeError.containsNUL) { try QRCode.matrix(for: "ab\u{0}cd") }
        // Version 40-H holds 1273 bytes.
        let tooLong = String(repeating: "准", count: 500)   // 1500 bytes of UTF-8
        #expect(throws: QRCodeError.tooLong(bytes: 1500)) { try QRCode.matrix(for: tooLong, level: .high) }
        #expect(throws: Never.self) { try QRCode.matrix(for: tooLong, level: .low) }   // 40-L holds 2953
    }
}
