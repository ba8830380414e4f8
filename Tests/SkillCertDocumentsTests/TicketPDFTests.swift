import Foundation
import Testing
@testable import SkillCertDocuments

/// Runs the command-line tools the tests check PDFs with: poppler-utils (pdftoppm, pdftotext, pdfinfo, pdfimages)
/// and zbar-tools (zbarimg), all from Debian's packages (scripts/install-deps.sh).
struct PDFFile {
    let directory: URL
    let pdf: URL

    init(_ pdfData: Data) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-ticket-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        pdf = directory.appendingPathComponent("tickets.pdf")
        try pdfData.write(to: pdf)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Runs `/usr/bin/tool args…`; returns its exit status and standard output.
    @discardableResult
    func run(_ tool: String, _ args: [String]) throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(tool)")
        process.arguments = args
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()   // read before waiting: no pipe deadlock
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }

    func text(page: Int) throws -> String {
        let (status, out) = try run("pdftotext", ["-enc", "UTF-8", "-f", "\(page)", "-l", "\(page)", pdf.path, "-"])
        #expect(status == 0)
        return String(decoding: out, as: UTF8.self)
    }

    func pageCount() throws -> Int? {
        let info = String(decoding: try run("pdfinfo", [pdf.path]).output, as: UTF8.self)
        let line = info.split(separator: "\n").first { $0.hasPrefix("Pages:") }
        return line.flatMap { Int($0.dropFirst("Pages:".count).trimmingCharacters(in: .whitespaces)) }
    }

    /// The page as PNG at `dpi` (pdftoppm), then the QR codes zbarimg reads in it, one per line.
    func qrCodes(page: Int, dpi: Int = 150) throws -> [String] {
        let prefix = directory.appendingPathComponent("page-\(page)").path
        let render = try run("pdftoppm", ["-r", "\(dpi)", "-png", "-f", "\(page)", "-l", "\(page)", "-singlefile", pdf.path, prefix])
        #expect(render.status == 0)
        let scan = try run("zbarimg", ["--raw", "-q", "--nodbus", "-Sdisable", "-Sqrcode.enable", "\(prefix).png"])
        #expect(scan.status == 0, "zbarimg found no QR code on page \(page)")
        return String(decoding: scan.output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The page as an RGB bitmap (pdftoppm's PPM output).
    func bitmap(page: Int, dpi: Int) throws -> Bitmap {
        let prefix = directory.appendingPathComponent("bitmap-\(page)").path
        let render = try run("pdftoppm", ["-r", "\(dpi)", "-f", "\(page)", "-l", "\(page)", "-singlefile", pdf.path, prefix])
        #expect(render.status == 0)
        return try #require(Bitmap(ppm: [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(prefix).ppm")))))
    }

    /// `pdfimages -list`: (width, height, encoding) of every image.
    func images() throws -> [(width: Int, height: Int, encoding: String)] {
        let list = String(decoding: try run("pdfimages", ["-list", pdf.path]).output, as: UTF8.self)
        return list.split(separator: "\n").dropFirst(2).compactMap { line in
            let cols = line.split(separator: " ")
            guard cols.count > 8, let w = Int(cols[3]), let h = Int(cols[4]) else { return nil }
            return (w, h, String(cols[8]))
        }
    }

    /// The images other than QR codes (drawn as one pixel per module: square, 4·version + 17 modules plus the
    /// 4-module quiet zone on each side, never JPEG).
    func photos() throws -> [(width: Int, height: Int, encoding: String)] {
        try images().filter { !($0.width == $0.height && $0.width >= 29 && ($0.width - 29) % 4 == 0 && $0.encoding != "jpeg") }
    }
}

/// A binary PPM (P6, maxval 255).
struct Bitmap {
    let width: Int
    let height: Int
    let pixels: [UInt8]

    init?(ppm: [UInt8]) {
        // Header: "P6", width, height, maxval, each followed by whitespace.
        var fields: [Int] = []
        var i = 2
        guard ppm.starts(with: Array("P6".utf8)) else { return nil }
        while fields.count < 3, i < ppm.count {
            while i < ppm.count, ppm[i] == 0x20 || ppm[i] == 0x0A || ppm[i] == 0x0D || ppm[i] == 0x09 { i += 1 }
            var value = 0
            while i < ppm.count, (0x30...0x39).contains(ppm[i]) { value = value * 10 + Int(ppm[i] - 0x30); i += 1 }
            fields.append(value)
        }
        i += 1
        guard fields.count == 3, fields[2] == 255, ppm.count - i >= fields[0] * fields[1] * 3 else { return nil }
        width = fields[0]
        height = fields[1]
        pixels = Array(ppm[i..<(i + width * height * 3)])
    }

    func rgb(_ x: Int, _ y: Int) -> (r: Int, g: Int, b: Int) {
        let o = (y * width + x) * 3
        return (Int(pixels[o]), Int(pixels[o + 1]), Int(pixels[o + 2]))
    }

    /// Pixels of a clearly saturated colour: the page is otherwise black, white and grey.
    func count(where test: (_ r: Int, _ g: Int, _ b: Int) -> Bool) -> Int {
        var n = 0
        for y in 0..<height {
            for x in 0..<width {
                let p = rgb(x, y)
                if test(p.r, p.g, p.b) { n += 1 }
            }
        }
        return n
    }

    func isDark(_ x: Int, _ y: Int) -> Bool {
        let p = rgb(x, y)
        return p.r + p.g + p.b < 3 * 110
    }
}

private func isBlue(_ r: Int, _ g: Int, _ b: Int) -> Bool { b > r + 60 && b > g + 40 }
private func isRed(_ r: Int, _ g: Int, _ b: Int) -> Bool { r > g + 80 && r > b + 80 }

private func ticket(_ number: String, name: String, photo: AdmissionTicket.Photo?, sessions: Int = 2) -> AdmissionTicket {
    let all: [AdmissionTicket.Session] = [
        .init(part: "理论知识（机考）", date: "2026-06-13", time: "09:00–10:30",
              venue: "第一考点（浦东新区张江路 88 号实训楼）", room: "第 3 考场", seat: "15"),
        .init(part: "操作技能", date: "2026-06-14", time: "13:30–15:30",
              venue: "第一考点（实训楼二层）", room: "实操工位 A", seat: "A-07"),
        .init(part: "综合评审", date: "2026-06-15", time: "09:00–09:30",
              venue: "第二考点（徐汇区漕溪北路 1200 号）", room: "评审室 2", seat: "—"),
        .init(part: "理论知识（纸笔）", date: "2026-06-20", time: "14:00–15:30",
              venue: "第一考点（浦东新区张江路 88 号实训楼）", room: "第 12 考场", seat: "30"),
    ]
    return AdmissionTicket(
        ticketNumber: number, bodyName: "华东职业技能等级认定中心", planTitle: "2026 年电工职业技能等级认定（第二批）",
        occupationLevel: "电工 四级/中级工", candidateName: name, maskedID: "110105********1234",
        employer: "上海市某某电气设备安装工程有限公司", photo: photo, sessions: Array(all.prefix(sessions)),
        rules: [
            "考生须凭准考证和有效身份证件，于考试开始前 30 分钟进入考场，迟到 15 分钟以上不得入场。",
            "除黑色签字笔、2B 铅笔、橡皮外，不得携带任何书籍、资料、通讯工具和电子设备进入考场。",
            "考生应按座位号就座，将准考证和身份证件放在桌面左上角，以便核验。",
            "考试期间保持安静，不得交头接耳、左顾右盼、抄袭或协助他人抄袭。",
            "考试结束铃响后立即停止答题，待监考人员收齐试卷后方可离开。",
        ],
        issuedOn: "2026-05-20")
}

private let pngPhoto = AdmissionTicket.Photo(data: Data(TicketFixtures.bluePNG), isJPEG: false)
private let jpegPhoto = AdmissionTicket.Photo(data: Data(TicketFixtures.redJPEG), isJPEG: true)

@Suite("Admission ticket PDF")
struct TicketPDFTests {
    @Test("a ticket with a PNG photo: the QR code scans back to the ticket number; name, title and sittings are text")
    func pngTicket() throws {
        let t = ticket("20260600015", name: "张三", photo: pngPhoto)
        let file = try PDFFile(TicketPDF.render([t]))
        defer { file.remove() }
        #expect(try file.pageCount() == 1)
        #expect(try file.qrCodes(page: 1) == ["20260600015"])
        let text = try file.text(page: 1)
        for expected in ["准考证", "张三", "20260600015", "110105********1234", "华东职业技能等级认定中心", "电工 四级/中级工",
                         "上海市某某电气设备安装工程有限公司", "理论知识（机考）", "2026年6月13日", "星期六", "09:00–10:30",
                         "第 3 考场", "A-07", "考场规则", "迟到 15 分钟以上不得入场", "签发日期：2026年5月20日"] {
            #expect(text.contains(expected), "page text lacks \(expected)")
        }
        #expect(!text.contains("无照片"))
        let photo = try file.bitmap(page: 1, dpi: 50)
        #expect(photo.count(where: isBlue) > 800, "the blue-background photo is on the page")
        #expect(photo.count(where: isRed) == 0)
    }

    @Test("a ticket with a JPEG photo: the JPEG is embedded as is and shows; the QR code scans")
    func jpegTicket() throws {
        let t = ticket("20260600016", name: "欧阳娜娜", photo: jpegPhoto)
        let data = try TicketPDF.render([t])
        let file = try PDFFile(data)
        defer { file.remove() }
        #expect(try file.qrCodes(page: 1) == ["20260600016"])
        let text = try file.text(page: 1)
        #expect(text.contains("欧阳娜娜"))
        #expect(text.contains("准考证"))
        // Not decoded and recompressed: the very bytes, as a DCT image at the photo's own size.
        #expect([UInt8](data).firstRange(of: TicketFixtures.redJPEG) != nil)
        let images = try file.photos()
        #expect(images.count == 1)
        #expect(images.first?.encoding == "jpeg")
        #expect(images.first?.width == 120)
        #expect(images.first?.height == 168)
        let page = try file.bitmap(page: 1, dpi: 50)
        #expect(page.count(where: isRed) > 800, "the red-background photo is on the page")
        #expect(page.count(where: isBlue) == 0)
    }

    @Test("no photo prints an empty box marked 无照片")
    func noPhoto() throws {
        let file = try PDFFile(TicketPDF.render([ticket("20260600017", name: "李四", photo: nil)]))
        defer { file.remove() }
        #expect(try file.text(page: 1).contains("无照片"))
        #expect(try file.photos().isEmpty)
        #expect(try file.qrCodes(page: 1) == ["20260600017"])
    }

    @Test("the QR code is at least 30 mm wide with 4 light modules around it")
    func qrGeometry() throws {
        let file = try PDFFile(TicketPDF.render([ticket("20260600015", name: "张三", photo: nil)]))
        defer { file.remove() }
        let dpi = 300
        let page = try file.bitmap(page: 1, dpi: dpi)
        // The code sits in the top-left corner, above the table; its top edge is above the centred title's text.
        let region = (width: page.width * 2 / 5, height: page.height / 5)
        var box = (minX: Int.max, minY: Int.max, maxX: -1, maxY: -1)
        for y in 0..<region.height {
            for x in 0..<region.width where page.isDark(x, y) {
                box = (min(box.minX, x), min(box.minY, y), max(box.maxX, x), max(box.maxY, y))
            }
        }
        // The finder pattern's top row runs along the symbol's top edge: measure the width there.
        let top = box.minY + 2
        let left = (0..<region.width).first { page.isDark($0, top) } ?? 0
        let right = (0..<region.width).last { page.isDark($0, top) } ?? 0
        let widthMM = Double(right - left + 1) / Double(dpi) * 25.4
        #expect(widthMM >= 30, "QR symbol is \(widthMM) mm wide")
        #expect(widthMM < 40)
        // Quiet zone: nothing dark within 4 modules of the symbol's left, top and right edges
        // (less a pixel of antialiasing).
        let module = Double(right - left + 1) / 21   // version 1 for an 11-digit number
        let quiet = Int((4 * module).rounded(.down)) - 1
        let symbolBottom = box.minY + (right - left)
        var darkInQuietZone = 0
        for y in max(0, box.minY - quiet)...symbolBottom {
            for x in max(0, left - quiet)...min(page.width - 1, right + quiet) {
                let inSymbol = x >= left && x <= right && y >= box.minY
                if !inSymbol && page.isDark(x, y) { darkInQuietZone += 1 }
            }
        }
        #expect(darkInQuietZone == 0)
    }

    @Test("a batch of three tickets is three pages, each scanning to its own number")
    func batch() throws {
        let tickets = [
            ticket("20260600101", name: "张三", photo: pngPhoto),
            ticket("20260600102", name: "李四", photo: jpegPhoto),
            ticket("20260600103", name: "王五", photo: nil, sessions: 4),
        ]
        let file = try PDFFile(TicketPDF.render(tickets))
        defer { file.remove() }
        #expect(try file.pageCount() == 3)
        for (page, t) in zip(1..., tickets) {
            #expect(try file.qrCodes(page: page) == [t.ticketNumber])
            let text = try file.text(page: page)
            #expect(text.contains(t.candidateName))
            #expect(tickets.filter { $0.ticketNumber != t.ticketNumber }.allSatisfy { !text.contains($0.candidateName) })
        }
        #expect(try file.text(page: 3).contains("综合评审"))
        #expect(try file.text(page: 3).contains("第 12 考场"))
    }

    @Test("a letter-and-digit ticket number scans back exactly, case kept")
    func mixedCaseNumber() throws {
        let file = try PDFFile(TicketPDF.render([ticket("SH-2026-06-a0015X", name: "张三", photo: nil)]))
        defer { file.remove() }
        #expect(try file.qrCodes(page: 1) == ["SH-2026-06-a0015X"])
    }

    @Test("an unreadable photo or an empty ticket number names the ticket")
    func invalidInput() throws {
        let broken = ticket("20260600018", name: "赵六", photo: .init(data: Data("not a jpeg".utf8), isJPEG: true))
        let error = #expect(throws: PDFError.self) { _ = try TicketPDF.render([ticket("1", name: "甲", photo: nil), broken]) }
        guard case .invalidTicket(let number, _) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(number == "20260600018")
        let truncatedPNG = ticket("20260600019", name: "钱七", photo: .init(data: Data(TicketFixtures.bluePNG.prefix(40)), isJPEG: false))
        #expect(throws: PDFError.self) { _ = try TicketPDF.render([truncatedPNG]) }
        let unnumbered = ticket("", name: "孙八", photo: nil)
        #expect(throws: PDFError.invalidTicket(ticketNumber: "", reason: "QR: empty")) { _ = try TicketPDF.render([unnumbered]) }
    }
}
