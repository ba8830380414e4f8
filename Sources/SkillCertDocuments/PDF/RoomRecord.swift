import Foundation

/// The room record (考场记录) of a session: per room the staff, who was expected, present and absent, then the
/// incidents and inspections, with lines for the invigilators' and the supervisor's signatures.
public struct RoomRecord: Sendable {
    public struct Room: Sendable {
        public var name: String
        public var staff: [String]
        public var expected: Int
        public var present: Int
        public var absent: [String]

        public init(name: String, staff: [String], expected: Int, present: Int, absent: [String]) {
            self.name = name
            self.staff = staff
            self.expected = expected
            self.present = present
            self.absent = absent
        }
    }

    public var title: String
    public var when: String
    public var supervisors: [String]
    public var rooms: [Room]
    public var events: [String]

    public init(title: String, when: String, supervisors: [String], rooms: [Room], events: [String]) {
        self.title = title
        self.when = when
        self.supervisors = supervisors
        self.rooms = rooms
        self.events = events
    }

    public static func render(_ record: RoomRecord) throws -> Data {
        let pdf = PDFBuilder(footer: "\(record.title) 考场记录")
        pdf.text("考场记录", size: 18, bold: true, align: .center, spacingAfter: 6)
        pdf.text("\(record.title)　\(record.when)", size: 11, align: .center, spacingAfter: 4)
        pdf.text("督导员：\(record.supervisors.isEmpty ? "（未安排）" : record.supervisors.joined(separator: "、"))", size: 11, spacingAfter: 10)
        pdf.table(header: ["考场", "工作人员", "应到", "实到", "缺考"], widths: [0.16, 0.34, 0.08, 0.08, 0.34],
                  rows: record.rooms.map { [$0.name, $0.staff.joined(separator: "、"), String($0.expected), String($0.present),
                                            $0.absent.isEmpty ? "无" : $0.absent.joined(separator: "、")] }, rowHeight: 24)
        pdf.spacer(12)
        pdf.text("违纪与督导记录", size: 13, bold: true, spacingAfter: 4)
        if record.events.isEmpty {
            pdf.text("无", size: 11)
        } else {
            for (i, e) in record.events.enumerated() { pdf.text("\(i + 1). \(e)", size: 11) }
        }
        pdf.spacer(20)
        pdf.text("监考员（考评员）签名：________________　________________　________________", size: 11, spacingAfter: 10)
        pdf.text("督导员签名：________________　　　　日期：____________", size: 11)
        return Data(try pdf.finish())
    }
}
