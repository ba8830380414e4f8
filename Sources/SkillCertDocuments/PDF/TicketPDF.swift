import Foundation
import SkillCertCore

/// What an admission ticket (准考证) shows. Texts arrive ready to print: the ID number already masked, venue and
/// room as the candidate should read them. Dates given as ISO `yyyy-mm-dd` print as `2026年6月13日`; other text as is.
public struct AdmissionTicket: Sendable {
    /// One session the candidate is seated in.
    public struct Session: Sendable {
        /// The assessment part, e.g. "理论知识（机考）".
        public var part: String
        public var date: String
        /// Start–end, e.g. "09:00–10:30".
        public var time: String
        /// The venue (考点), with its address where useful.
        public var venue: String
        public var room: String
        public var seat: String

        public init(part: String, date: String, time: String, venue: String, room: String, seat: String) {
            self.part = part
            self.date = date
            self.time = time
            self.venue = venue
            self.room = room
            self.seat = seat
        }
    }

    /// The candidate's 1-inch photo as uploaded: JPEG (embedded as is) or PNG.
    public struct Photo: Sendable {
        public var data: Data
        public var isJPEG: Bool

        public init(data: Data, isJPEG: Bool) {
            self.data = data
            self.isJPEG = isJPEG
        }
    }

    /// Printed on the ticket and encoded, alone, in its QR code.
    public var ticketNumber: String
    public var bodyName: String
    public var planTitle: String
    /// Occupation and level, e.g. "电工 四级/中级工".
    public var occupationLevel: String
    public var candidateName: String
    /// The ID number masked, e.g. "110105********1234".
    public var maskedID: String
    public var employer: String
    /// Nil prints an empty box marked "无照片".
    public var photo: Photo?
    public var sessions: [Session]
    /// The examination rules (考场规则), one per entry; numbered when printed.
    public var rules: [String]
    public var issuedOn: String

    public init(ticketNumber: String, bodyName: String, planTitle: String, occupationLevel: String, candidateName: String,
                maskedID: String, employer: String, photo: Photo?, sessions: [Session], rules: [String], issuedOn: String) {
        self.ticketNumber = ticketNumber
        self.bodyName = bodyName
        self.planTitle = planTitle
        self.occupationLevel = occupationLevel
        self.candidateName = candidateName
        self.maskedID = maskedID
        self.employer = employer
        self.photo = photo
        self.sessions = sessions
        self.rules = rules
        self.issuedOn = issuedOn
    }
}

/// Renders admission tickets: one A4 page per ticket, with the photo, a QR code of the ticket number for check-in,
/// the sittings and the rules. One ticket or a whole batch is the same call.
public enum TicketPDF {
    static let title = "职业技能等级认定 准考证"
    static let margin = 42.0   // points, about 15 mm

    /// Points in `millimetres`.
    static func mm(_ millimetres: Double) -> Double { millimetres * 72 / 25.4 }

    /// The 1-inch photo box, 25 × 35 mm.
    static let photoSize = (width: mm(25), height: mm(35))
    /// The QR symbol's side, quiet zone excluded: 2 mm over the 30 mm asked for, so rendering never takes it under.
    static let qrSymbolSide = mm(32)

    /// The PDF: one page per ticket, in order (a ticket with very many sessions or rules runs onto a second page).
    /// Throws `PDFError.invalidTicket` naming the ticket when its photo cannot be read or its number cannot be encoded.
    /// An empty list gives one blank page: a PDF always has a page.
    public static func render(_ tickets: [AdmissionTicket]) throws -> Data {
        let pdf = PDFBuilder(margin: margin)
        for ticket in tickets {
            try page(ticket, on: pdf)
            pdf.pageBreak()
        }
        return Data(try pdf.finish())
    }

    static func page(_ t: AdmissionTicket, on pdf: PDFBuilder) throws {
        let qr: QRMatrix
        do { qr = try QRCode.matrix(for: t.ticketNumber, level: .medium) } catch {
            throw PDFError.invalidTicket(ticketNumber: t.ticketNumber, reason: "QR: \(error)")
        }
        header(t, qr: qr, on: pdf)
        pdf.spacer(8)
        do { try identityTable(t, on: pdf) } catch {
            throw PDFError.invalidTicket(ticketNumber: t.ticketNumber, reason: "photo: \(error)")
        }
        pdf.spacer(14)
        pdf.text("考试安排", size: 12, bold: true, spacingAfter: 4)
        sessionsTable(t.sessions, on: pdf)
        pdf.spacer(14)
        if !t.rules.isEmpty {
            pdf.text("考场规则", size: 12, bold: true, spacingAfter: 4)
            for (i, rule) in t.rules.enumerated() {
                pdf.text("\(i + 1). \(rule)", size: 9.5, spacingAfter: 2)
            }
            pdf.spacer(12)
        }
        pdf.text(t.bodyName, size: 10.5, align: .right, spacingAfter: 2)
        pdf.text("签发日期：\(printedDate(t.issuedOn))", size: 10.5, align: .right)
    }

    /// The QR code at the top left, the body and the title centred on the page beside it.
    static func header(_ t: AdmissionTicket, qr: QRMatrix, on pdf: PDFBuilder) {
        // The symbol is `qrSymbolSide` wide; the 4-module quiet zone is added around it.
        let qrSide = qrSymbolSide * Double(qr.size + 8) / Double(qr.size)
        let caption = 12.0
        let block = pdf.reserve(qrSide + caption)
        pdf.qrCode(qr, in: PDFRect(x: block.x, y: block.y, width: qrSide, height: qrSide))
        pdf.text("入场检录请出示此码", in: PDFRect(x: block.x, y: block.y + qrSide, width: qrSide, height: caption),
                 size: 8, align: .center, verticalAlign: .top)
        // Centred on the page, clear of the QR code on both sides so the centre stays the page's.
        let side = qrSide + 12
        let middle = PDFRect(x: block.x + side, y: block.y, width: block.width - 2 * side, height: block.height)
        let bodyHeight = pdf.textHeight(t.bodyName, width: middle.width, size: 13)
        let titleHeight = pdf.textHeight(title, width: middle.width, size: 20, bold: true)
        let top = middle.y + max(0, (middle.height - bodyHeight - 6 - titleHeight) / 2)
        pdf.text(t.bodyName, in: PDFRect(x: middle.x, y: top, width: middle.width, height: bodyHeight),
                 size: 13, align: .center)
        pdf.text(title, in: PDFRect(x: middle.x, y: top + bodyHeight + 6, width: middle.width, height: titleHeight),
                 size: 20, bold: true, align: .center)
    }

    /// Label–value rows on the left, the photo box spanning them on the right.
    static func identityTable(_ t: AdmissionTicket, on pdf: PDFBuilder) throws {
        let rows: [(label: String, value: String, emphasised: Bool)] = [
            ("准考证号", t.ticketNumber, true),
            ("姓　　名", t.candidateName, true),
            ("证件号码", t.maskedID, false),
            ("工作单位", t.employer.isEmpty ? "—" : t.employer, false),
            ("职业等级", t.occupationLevel, false),
            ("认定计划", t.planTitle, false),
        ]
        let padding = 5.0
        let labelWidth = 72.0
        let photoColumn = photoSize.width + 2 * 8
        let valueWidth = pdf.contentWidth - labelWidth - photoColumn
        let fontSize = 10.5
        var heights = rows.map { row in
            max(22, pdf.textHeight(row.value, width: valueWidth - 2 * padding, size: row.emphasised ? 12 : fontSize,
                                   bold: row.emphasised) + 2 * padding)
        }
        // The photo box sets the least height; the last row takes up any slack.
        let photoNeeds = photoSize.height + 2 * 8
        let total = heights.reduce(0, +)
        if total < photoNeeds { heights[heights.count - 1] += photoNeeds - total }
        let block = pdf.reserve(max(total, photoNeeds))
        var y = block.y
        for (row, height) in zip(rows, heights) {
            let label = PDFRect(x: block.x, y: y, width: labelWidth, height: height)
            let value = PDFRect(x: label.maxX, y: y, width: valueWidth, height: height)
            pdf.fill(label, gray: 0.93)
            pdf.stroke(label)
            pdf.stroke(value)
            pdf.text(row.label, in: label.insetBy(padding), size: fontSize, align: .center)
            pdf.text(row.value, in: value.insetBy(padding), size: row.emphasised ? 12 : fontSize, bold: row.emphasised)
            y += height
        }
        let photoCell = PDFRect(x: block.x + labelWidth + valueWidth, y: block.y, width: photoColumn, height: block.height)
        pdf.stroke(photoCell)
        let photoBox = PDFRect(x: photoCell.x + (photoCell.width - photoSize.width) / 2,
                               y: photoCell.y + (photoCell.height - photoSize.height) / 2,
                               width: photoSize.width, height: photoSize.height)
        if let photo = t.photo {
            try pdf.image(PDFImage(bytes: [UInt8](photo.data), kind: photo.isJPEG ? .jpeg : .png), in: photoBox)
        } else {
            pdf.stroke(photoBox, lineWidth: 0.4)
            pdf.text("无照片", in: photoBox, size: 10, align: .center)
        }
    }

    /// The sessions as a ruled table whose cells wrap (a venue's address is long; `PDFBuilder.table` cuts cells to
    /// one line). A row that does not fit continues on the next page.
    static func sessionsTable(_ sessions: [AdmissionTicket.Session], on pdf: PDFBuilder) {
        let header = ["科目", "日期", "时间", "考点", "考场", "座位号"]
        let widths = [0.19, 0.17, 0.15, 0.27, 0.12, 0.10].map { $0 * pdf.contentWidth }
        let padding = 4.0
        let fontSize = 10.0
        func row(_ cells: [String], header: Bool) {
            let height = zip(cells, widths).map { cell, width in
                pdf.textHeight(cell, width: width - 2 * padding, size: fontSize, bold: header) + 2 * padding
            }.max() ?? 0
            let block = pdf.reserve(max(22, height))
            var x = block.x
            for (cell, width) in zip(cells, widths) {
                let box = PDFRect(x: x, y: block.y, width: width, height: block.height)
                if header { pdf.fill(box, gray: 0.93) }
                pdf.stroke(box)
                pdf.text(cell, in: box.insetBy(padding), size: fontSize, bold: header, align: .center)
                x += width
            }
        }
        row(header, header: true)
        let rows = sessions.map { [$0.part, printedDate($0.date, weekday: true), $0.time, $0.venue, $0.room, $0.seat] }
        for cells in rows.isEmpty ? [Array(repeating: "—", count: header.count)] : rows {
            row(cells, header: false)
        }
    }

    static let weekdayNames = ["一", "二", "三", "四", "五", "六", "日"]

    /// `2026-06-13` → `2026年6月13日`, with `（星期六）` when asked; text that is not an ISO date as is.
    static func printedDate(_ text: String, weekday: Bool = false) -> String {
        guard let d = LocalDate(iso: text) else { return text }
        let day = "\(d.year)年\(d.month)月\(d.day)日"
        return weekday ? "\(day)（星期\(weekdayNames[d.weekday - 1])）" : day
    }
}
