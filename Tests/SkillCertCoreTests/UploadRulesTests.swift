import Foundation
import SkillCertCore
import Testing

@Suite("Upload checks")
struct UploadRulesTests {
    static func pngHeader(_ w: Int, _ h: Int) -> Data {
        var d = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]) + Data("IHDR".utf8)
        for v in [w, h] { d += Data([UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]) }
        return d + Data([8, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    static func jpegHeader(_ w: Int, _ h: Int) -> Data {
        // SOI, an APP0 segment to skip, then SOF2 (progressive) with the size.
        Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC2, 0x00, 0x11, 0x08,
              UInt8(h >> 8), UInt8(h & 0xFF), UInt8(w >> 8), UInt8(w & 0xFF), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
    }

    @Test("kinds are recognised by content, not by name")
    func sniffing() {
        #expect(ContentKind.sniff(Data("%PDF-1.7\n".utf8)) == .pdf)
        #expect(ContentKind.sniff(Self.jpegHeader(10, 10)) == .jpeg)
        #expect(ContentKind.sniff(Self.pngHeader(10, 10)) == .png)
        #expect(ContentKind.sniff(Data([0x50, 0x4B, 3, 4])) == nil)
        #expect(ContentKind.sniff(Data("<html>".utf8)) == nil)
    }

    @Test("pixel sizes come from the PNG header and the JPEG frame header")
    func pixelSizes() {
        #expect(PixelSize.of(Self.pngHeader(295, 413), kind: .png) == PixelSize(width: 295, height: 413))
        #expect(PixelSize.of(Self.jpegHeader(354, 496), kind: .jpeg) == PixelSize(width: 354, height: 496))
        #expect(PixelSize.of(Data([0xFF, 0xD8, 0xFF]), kind: .jpeg) == nil)
    }

    @Test("materials: empty, wrong kind and too large are refused with the field named")
    func materials() throws {
        #expect(try UploadRules.material(Data("%PDF-1.4".utf8), fileName: "a.pdf", maxBytes: 100, field: "material[0]") == .pdf)
        for (data, code) in [(Data(), "empty_file"), (Data("PK\u{3}\u{4}".utf8), "unsupported_type"),
                             (Data("%PDF-".utf8) + Data(count: 200), "too_large")] {
            do {
                _ = try UploadRules.material(data, fileName: "x.pdf", maxBytes: 100, field: "material[1]")
                Issue.record("accepted \(code)")
            } catch let failure as ValidationFailure {
                #expect(failure.errors.map(\.code) == [code] && failure.errors[0].field == "material[1]")
            }
        }
    }

    @Test("photos need 295×413 pixels or more in the 25:35 proportion")
    func photos() throws {
        #expect(try UploadRules.photo(Self.pngHeader(295, 413), maxBytes: 1000).1 == PixelSize(width: 295, height: 413))
        #expect(try UploadRules.photo(Self.jpegHeader(390, 567), maxBytes: 1000).0 == .jpeg)
        for (data, code) in [(Self.pngHeader(413, 413), "wrong_proportion"), (Self.pngHeader(200, 280), "too_small"),
                             (Data("%PDF-1.4".utf8), "unsupported_type"), (Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "unreadable_image")] {
            #expect(throws: ValidationFailure.self) { try UploadRules.photo(data, maxBytes: 1000) }
            do { _ = try UploadRules.photo(data, maxBytes: 1000) } catch let f as ValidationFailure { #expect(f.errors.first?.code == code) }
        }
    }
}
