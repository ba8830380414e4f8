import Foundation
import Testing
@testable import SkillCertDocuments

/// Runs the poppler command-line tools (poppler-utils) on a PDF written to a temp file.
private enum Poppler {
    static let directory = "/usr/bin"
    static var available: Bool {
        ["pdftotext", "pdffonts", "pdfinfo"].allSatisfy { FileManager.default.isExecutableFile(atPath: "\(directory)/\($0)") }
    }

    /// Writes `pdf` to a fresh temp file, runs `tool args… file [extra…]`, removes the file and returns stdout.
    static func run(_ tool: String, _ args: [String] = [], on pdf: [UInt8], trailing: [String] = []) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-\(UUID().uuidString).pdf")
        try Data(pdf).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "\(directory)/\(tool)")
        process.arguments = args + [url.path] + trailing
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()   // read before waiting: no pipe deadlock
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(tool) exited with \(process.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }

    static func text(_ pdf: [UInt8], page: Int? = nil) throws -> String {
        let range = page.map { ["-f", "\($0)", "-l", "\($0)"] } ?? []
        return try run("pdftotext", ["-enc", "UTF-8"] + range, on: pdf, trailing: ["-"])
    }

    static func pages(_ pdf: [UInt8]) throws -> Int? {
        let info = try run("pdfinfo", on: pdf)
        let line = info.split(separator: "\n").first { $0.hasPrefix("Pages:") }
        return line.flatMap { Int($0.dropFirst("Pages:".count).trimmingCharacters(in: .whitespaces)) }
    }

    /// (name, emb, sub) for every font row of `pdffonts`.
    static func fonts(_ pdf: [UInt8]) throws -> [(name: String, embedded: Bool, subset: Bool)] {
        let lines = try run("pdffonts", on: pdf).split(separator: "\n").dropFirst(2)   // header + dashes
        return lines.compactMap { line in
            let cols = line.split(separator: " ", omittingEmptySubsequences: true)
            guard cols.count >= 7 else { return nil }
            // ... emb sub uni object-id generation
            return (String(cols[0]), cols[cols.count - 5] == "yes", cols[cols.count - 4] == "yes")
        }
    }
}

/// A valid 4×2 RGB PNG.
private let tinyPNG: [UInt8] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xF0, 0xCA, 0xEA,
    0x34, 0x00, 0x00, 0x00, 0x12, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x60, 0x60, 0xF8, 0xFF,
    0x9F, 0x81, 0x01, 0x46, 0x22, 0x71, 0x00, 0x67, 0xB2, 0x07, 0xF9, 0xB1, 0x3F, 0x75, 0x8B, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
]

private let longParagraph = String(repeating: "维修电工应熟悉低压配电系统的接线方式、保护装置的整定原则以及安全用电的基本要求，", count: 120)

@Suite("PDF builder")
struct PDFBuilderTests {
    /// A two-page exam paper exercising every element.
    func examPaper() throws -> (builder: PDFBuilder, pdf: [UInt8]) {
        let b = PDFBuilder(footer: "SkillCert 职业技能等级认定")
        b.text("电工 四级/中级工 理论知识考试试卷（A 卷）", size: 18, bold: true, align: .center, spacingAfter: 10)
        b.text("注意事项：请在答题卡上作答，不得在试卷上做任何标记。", size: 10, align: .center)
        b.rule()
        b.text("一、单项选择题（第 1 题～第 40 题。每题 1 分，满分 40 分。）", bold: true)
        b.text("1. 在三相四线制供电系统中，中性线的作用是使不对称负载的相电压保持对称。")
        b.spacer(8)
        b.answerGrid(count: 20, columns: 5, boxLabel: ".")
        b.modules([[true, false, true], [false, true, false], [true, false, true]], side: 60, align: .right)
        try b.png(tinyPNG, width: 80, align: .center)
        b.pageBreak()
        b.text("二、判断题（第 41 题～第 60 题。）", bold: true, align: .right)
        b.text("41. 绝缘电阻表在使用前应进行开路和短路试验。")
        let pdf = try b.finish()
        return (b, pdf)
    }

    @Test("a two-page Chinese document: bytes, page count")
    func twoPages() throws {
        let (builder, pdf) = try examPaper()
        #expect(builder.pageCount == 2)
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
        #expect(String(decoding: pdf.suffix(8), as: UTF8.self).contains("%%EOF"))
    }

    @Test("pdftotext gets the Chinese text and footers back")
    func textRoundTrip() throws {
        let (_, pdf) = try examPaper()
        #expect(try Poppler.pages(pdf) == 2)
        let page1 = try Poppler.text(pdf, page: 1)
        #expect(page1.contains("电工 四级/中级工 理论知识考试试卷（A 卷）"))
        #expect(page1.contains("中性线的作用"))
        #expect(page1.contains("SkillCert 职业技能等级认定"))
        #expect(page1.contains("第 1 页"))
        #expect(page1.contains("20."))   // answer grid labels
        let page2 = try Poppler.text(pdf, page: 2)
        #expect(page2.contains("绝缘电阻表在使用前应进行开路和短路试验"))
        #expect(page2.contains("第 2 页"))
        #expect(!page2.contains("理论知识考试试卷"))
    }

    @Test("the CJK font is embedded as a subset")
    func fontsEmbedded() throws {
        let (_, pdf) = try examPaper()
        let fonts = try Poppler.fonts(pdf)
        let cjk = fonts.filter { $0.name.contains("NotoSansCJK") }
        #expect(!cjk.isEmpty, "fonts: \(fonts.map(\.name))")
        #expect(fonts.allSatisfy { $0.embedded && $0.subset }, "fonts: \(fonts)")
        #expect(cjk.contains { $0.name.contains("Bold") })   // bold title uses the bold face
    }

    @Test("a long paragraph wraps and flows onto a second page")
    func longParagraphFlows() throws {
        let b = PDFBuilder()
        b.text("短标题")
        #expect(b.pageCount == 1)
        b.text(longParagraph)
        #expect(b.pageCount >= 2)
        let pages = b.pageCount
        let pdf = try b.finish()
        #expect(b.pageCount == pages)
        #expect(try Poppler.pages(pdf) == pages)
        let page2 = try Poppler.text(pdf, page: 2)
        #expect(page2.contains("低压配电系统"))
        // Wrapped: page 1 holds many lines, none wider than the text width can hold.
        let lines = try Poppler.text(pdf, page: 1).split(separator: "\n").filter { $0.contains("电") }
        #expect(lines.count > 20)
        #expect(lines.allSatisfy { $0.count < 60 })
    }

    @Test("a break after every section leaves no blank pages")
    func noBlankPages() throws {
        let b = PDFBuilder(footer: "准考证")
        for name in ["张三", "李四", "王五"] {
            b.text("考生：\(name)")
            b.pageBreak()
            b.pageBreak()   // a second break on an empty page is ignored
        }
        #expect(b.pageCount == 3)
        let pdf = try b.finish()
        #expect(b.pageCount == 3)
        #expect(try Poppler.pages(pdf) == 3)
        #expect(try Poppler.text(pdf, page: 3).contains("王五"))
    }

    @Test("an empty document is one blank page")
    func emptyDocument() throws {
        let b = PDFBuilder()
        #expect(b.pageCount == 1)
        let pdf = try b.finish()
        #expect(b.pageCount == 1)
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
        if Poppler.available { #expect(try Poppler.pages(pdf) == 1) }
    }

    @Test("a short document stays on one page")
    func onePage() throws {
        let b = PDFBuilder(footer: "页脚")
        b.text("一页")
        _ = try b.finish()
        #expect(b.pageCount == 1)
    }

    @Test("png accepts a PNG and throws on anything else")
    func pngValidation() throws {
        let b = PDFBuilder()
        try b.png(tinyPNG, width: 40)
        #expect(throws: PDFError.self) { try b.png(Array("definitely not a png".utf8), width: 100) }
        #expect(throws: PDFError.self) { try b.png([], width: 100) }
        #expect(throws: PDFError.self) { try b.png(Array(tinyPNG.prefix(30)), width: 100) }   // truncated
        b.text("之后仍可继续")
        let pdf = try b.finish()   // a rejected image does not poison the document
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
    }

    @Test("a builder dropped without finish() releases cleanly")
    func abandoned() {
        for _ in 0..<3 {
            let b = PDFBuilder(footer: "未完成")
            b.text(longParagraph)
            b.answerGrid(count: 8, columns: 4)
        }
    }

    @Test("finish twice throws; later drawing is ignored")
    func finishTwice() throws {
        let b = PDFBuilder()
        b.text("一次")
        _ = try b.finish()
        #expect(throws: PDFError.alreadyFinished) { try b.finish() }
        b.text("忽略")
        #expect(b.pageCount == 1)
    }
}
