import Foundation

/// A report made of titled sections of paragraphs and tables — the batch report (总结评估) — printed as a PDF. The
/// web page shows the same sections, so the printout and the page never disagree.
public struct ReportDocument: Sendable {
    public struct Table: Sendable {
        public var header: [String]
        /// Column widths as shares of the line (they add up to 1).
        public var widths: [Double]
        public var rows: [[String]]

        public init(header: [String], widths: [Double], rows: [[String]]) {
            self.header = header
            self.widths = widths
            self.rows = rows
        }
    }

    public enum Block: Sendable {
        case paragraph(String)
        case table(Table)
        /// Text for the reader to fill in on paper when the body left it empty.
        case blank(lines: Int)
    }

    public struct Section: Sendable {
        public var title: String
        public var blocks: [Block]

        public init(title: String, blocks: [Block]) {
            self.title = title
            self.blocks = blocks
        }
    }

    public var title: String
    public var subtitle: String
    public var sections: [Section]
    public var footer: String

    public init(title: String, subtitle: String, sections: [Section], footer: String) {
        self.title = title
        self.subtitle = subtitle
        self.sections = sections
        self.footer = footer
    }

    /// The report as a PDF: the title, then each section under a numbered heading; tables break across pages.
    public func pdf() throws -> Data {
        let pdf = PDFBuilder(footer: footer)
        pdf.text(title, size: 18, bold: true, align: .center, spacingAfter: 4)
        pdf.text(subtitle, size: 10, align: .center, spacingAfter: 12)
        for (i, section) in sections.enumerated() {
            pdf.text("\(chineseOrdinal(i + 1))、\(section.title)", size: 13, bold: true, spacingAfter: 6)
            for block in section.blocks {
                switch block {
                case .paragraph(let text):
                    pdf.text(text, size: 10.5, spacingAfter: 4)
                case .table(let table):
                    if table.rows.isEmpty { continue }
                    pdf.table(header: table.header, widths: table.widths, rows: table.rows, rowHeight: 18, size: 9)
                    pdf.spacer(6)
                case .blank(let lines):
                    for _ in 0..<lines { pdf.text("＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿", size: 10.5, spacingAfter: 8) }
                }
            }
            pdf.spacer(8)
        }
        return Data(try pdf.finish())
    }
}

/// 一, 二, … 十九: section numbers as Chinese reports write them.
public func chineseOrdinal(_ n: Int) -> String {
    let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
    guard n > 0, n < 100 else { return String(n) }
    if n < 10 { return digits[n] }
    let tens = n / 10, ones = n % 10
    return (tens == 1 ? "" : digits[tens]) + "十" + (ones == 0 ? "" : digits[ones])
}
