import Foundation

/// A session's sign-in sheet (签到表): for each room, one line per seat with the ticket number, name, masked ID and
/// a space for the signature, then the invigilators' signatures.
public struct SignInSheet: Sendable {
    public struct Line: Sendable {
        public var seat: Int
        public var ticket: String
        public var name: String
        public var maskedID: String

        public init(seat: Int, ticket: String, name: String, maskedID: String) {
            self.seat = seat
            self.ticket = ticket
            self.name = name
            self.maskedID = maskedID
        }
    }

    public struct Room: Sendable {
        public var name: String
        public var lines: [Line]

        public init(name: String, lines: [Line]) {
            self.name = name
            self.lines = lines
        }
    }

    public var title: String
    public var when: String
    public var rooms: [Room]

    public init(title: String, when: String, rooms: [Room]) {
        self.title = title
        self.when = when
        self.rooms = rooms
    }

    /// One page (or more) per room.
    public static func render(_ sheet: SignInSheet) throws -> Data {
        let pdf = PDFBuilder(footer: "\(sheet.title) 签到表")
        for room in sheet.rooms {
            pdf.text("考生签到表", size: 18, bold: true, align: .center, spacingAfter: 6)
            pdf.text("\(sheet.title)　\(sheet.when)　考场：\(room.name)", size: 11, align: .center, spacingAfter: 10)
            pdf.table(header: ["座号", "准考证号", "姓名", "证件号码", "签名"], widths: [0.08, 0.24, 0.16, 0.26, 0.26],
                      rows: room.lines.map { [String($0.seat), $0.ticket, $0.name, $0.maskedID, ""] }, rowHeight: 24)
            pdf.spacer(16)
            pdf.text("应到 \(room.lines.count) 人　实到 ____ 人　缺考 ____ 人", size: 11)
            pdf.text("监考员签名：________________　________________　　督导员签名：________________", size: 11)
            pdf.pageBreak()
        }
        return Data(try pdf.finish())
    }
}
