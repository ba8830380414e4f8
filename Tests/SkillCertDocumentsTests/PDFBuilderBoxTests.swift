import Foundation
import Testing
@testable import SkillCertDocuments

@Suite("PDF builder: boxes, images, QR codes")
struct PDFBuilderBoxTests {
    @Test("reserve takes room at the cursor and starts a new page when the block does not fit")
    func reserve() {
        let b = PDFBuilder(margin: 50)
        let first = b.reserve(500)
        #expect(first == PDFRect(x: 50, y: 50, width: b.contentWidth, height: 500))
        #expect(b.pageCount == 1)
        let second = b.reserve(300)   // 50 + 500 + 300 > 841.89 - 50
        #expect(second.y == 50)
        #expect(b.pageCount == 2)
    }

    @Test("textHeight grows with wrapping")
    func textHeight() {
        let b = PDFBuilder()
        let one = b.textHeight("第一考点", width: 200, size: 10)
        let wrapped = b.textHeight(String(repeating: "第一考点（浦东新区张江路 88 号实训楼）", count: 3), width: 100, size: 10)
        #expect(one > 10 && one < 20)
        #expect(wrapped > 4 * one)
    }

    @Test("image(_:in:) rejects bytes that are not the kind they claim")
    func imageValidation() throws {
        let b = PDFBuilder()
        let box = PDFRect(x: 100, y: 100, width: 70, height: 99)
        #expect(throws: PDFError.invalidJPEG("no JPEG frame header")) {
            try b.image(PDFImage(bytes: TicketFixtures.bluePNG, kind: .jpeg), in: box)
        }
        // A JPEG cut before its frame header.
        #expect(throws: PDFError.invalidJPEG("no JPEG frame header")) {
            try b.image(PDFImage(bytes: Array(TicketFixtures.redJPEG.prefix(20)), kind: .jpeg), in: box)
        }
        #expect(throws: PDFError.self) { try b.image(PDFImage(bytes: TicketFixtures.redJPEG, kind: .png), in: box) }
        #expect(throws: PDFError.self) { try b.image(PDFImage(bytes: [], kind: .png), in: box) }
        try b.image(PDFImage(bytes: TicketFixtures.redJPEG, kind: .jpeg), in: box)
        try b.image(PDFImage(bytes: TicketFixtures.bluePNG, kind: .png), in: box)
        let pdf = try b.finish()   // rejected images leave the document usable
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
    }

    @Test("drawing after finish is ignored; image throws")
    func afterFinish() throws {
        let b = PDFBuilder()
        _ = try b.finish()
        let box = PDFRect(x: 0, y: 0, width: 10, height: 10)
        b.stroke(box)
        b.fill(box, gray: 0.5)
        b.text("忽略", in: box)
        b.qrCode(try QRCode.matrix(for: "x"), in: box)
        #expect(throws: PDFError.alreadyFinished) { try b.image(PDFImage(bytes: TicketFixtures.bluePNG, kind: .png), in: box) }
        #expect(b.pageCount == 1)
    }
}
