import Foundation
import SkillCertCore

/// What a printed 职业技能等级证书 shows (人社鉴发〔2021〕1号): title, body text, body name, issue date, name, ID type
/// and number, occupation, 工种 or `--`, level as `三级/高级工`, number, photo, QR code and the query sites.
public struct PrintedCertificate: Sendable {
    public var number: String
    public var printSerial: Int
    public var name: String
    public var idType: String
    public var idNumber: String
    public var occupation: String
    public var workType: String
    /// `三级/高级工`.
    public var level: String
    public var levelEnglish: String
    public var bodyName: String
    /// ISO `yyyy-mm-dd`.
    public var issueDate: String
    /// JPEG or PNG; nil prints an empty box.
    public var photo: AdmissionTicket.Photo?
    /// Encoded in the QR code: the public verification page of this certificate.
    public var verifyURL: String
    /// Adds English beside the Chinese.
    public var bilingual: Bool

    public init(number: String, printSerial: Int, name: String, idType: String, idNumber: String, occupation: String, workType: String,
                level: String, levelEnglish: String, bodyName: String, issueDate: String, photo: AdmissionTicket.Photo?, verifyURL: String,
                bilingual: Bool = false) {
        self.number = number
        self.printSerial = printSerial
        self.name = name
        self.idType = idType
        self.idNumber = idNumber
        self.occupation = occupation
        self.workType = workType
        self.level = level
        self.levelEnglish = levelEnglish
        self.bodyName = bodyName
        self.issueDate = issueDate
        self.photo = photo
        self.verifyURL = verifyURL
        self.bilingual = bilingual
    }
}

/// Renders certificates, one A4 page each (a batch is one PDF for printing). The CJK font is embedded as a subset by
/// cairo, as for every PDF the product makes.
public enum CertificatePDF {
    public static let certificateQuerySite = "http://jndj.osta.org.cn"
    public static let bodyQuerySite = "http://pjjg.osta.org.cn"

    static func mm(_ millimetres: Double) -> Double { millimetres * 72 / 25.4 }

    public static func render(_ certificates: [PrintedCertificate]) throws -> Data {
        let pdf = PDFBuilder(margin: mm(20))
        // The QR codes first, on every core (choosing a code's mask is a tenth of a page's work); cairo draws the
        // pages on this thread.
        let codes = QRCodes(count: certificates.count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(certificates.count, ProcessInfo.processInfo.activeProcessorCount * 4))) { part in
            let parts = max(1, min(certificates.count, ProcessInfo.processInfo.activeProcessorCount * 4))
            for i in stride(from: part, to: certificates.count, by: parts) {
                codes.set(i, Result { try QRCode.matrix(for: certificates[i].verifyURL, level: .medium) })
            }
        }
        for (i, c) in certificates.enumerated() {
            try page(c, qr: try codes.get(i), on: pdf)
            pdf.pageBreak()
        }
        return Data(try pdf.finish())
    }

    /// One slot per certificate, each written by one worker before any is read.
    private final class QRCodes: @unchecked Sendable {
        private var slots: [Result<QRMatrix, any Error>?]
        private let lock = NSLock()

        init(count: Int) { slots = Array(repeating: nil, count: count) }

        func set(_ i: Int, _ value: Result<QRMatrix, any Error>) { lock.withLock { slots[i] = value } }

        func get(_ i: Int) throws -> QRMatrix {
            guard let slot = lock.withLock({ slots[i] }) else { throw PDFError.cairo("QR code \(i) missing") }
            return try slot.get()
        }
    }

    static func page(_ c: PrintedCertificate, qr: QRMatrix, on pdf: PDFBuilder) throws {
        pdf.spacer(mm(6))
        pdf.text("职业技能等级证书", size: 30, bold: true, align: .center, spacingAfter: c.bilingual ? 2 : 10)
        if c.bilingual { pdf.text("Vocational Skill Level Certificate", size: 13, align: .center, spacingAfter: 10) }
        pdf.rule()
        pdf.spacer(mm(4))
        let body = "\(c.name)同志，经\(c.bodyName)认定，具备\(c.occupation)（\(c.workType)）\(c.level)职业技能水平，特发此证。"
        pdf.text(body, size: 13, spacingAfter: c.bilingual ? 2 : 8)
        if c.bilingual {
            pdf.text("This certifies that \(c.name) has been assessed at \(c.levelEnglish) in \(c.occupation) by \(c.bodyName).", size: 10, spacingAfter: 8)
        }
        // Fields on the left, the 1-inch photo on the right.
        let label = { (zh: String, en: String) in c.bilingual ? "\(zh) \(en)" : zh }
        let rows: [(String, String)] = [
            (label("姓　　名", "Name"), c.name),
            (label("证件类型", "ID type"), c.idType),
            (label("证件号码", "ID number"), c.idNumber),
            (label("职业（工种）", "Occupation"), "\(c.occupation)（\(c.workType)）"),
            (label("职业技能等级", "Level"), c.level),
            (label("证书编号", "Certificate No."), c.number),
            (label("发证日期", "Issued"), TicketPDF.printedDate(c.issueDate)),
        ]
        let photoSide = (width: mm(25), height: mm(35))
        let rowHeight = 26.0
        let block = pdf.reserve(max(Double(rows.count) * rowHeight, photoSide.height + 16))
        let labelWidth = c.bilingual ? 150.0 : 100.0
        let valueWidth = block.width - labelWidth - photoSide.width - 24
        for (i, row) in rows.enumerated() {
            let y = block.y + Double(i) * rowHeight
            let l = PDFRect(x: block.x, y: y, width: labelWidth, height: rowHeight)
            let v = PDFRect(x: l.maxX, y: y, width: valueWidth, height: rowHeight)
            pdf.fill(l, gray: 0.94)
            pdf.stroke(l)
            pdf.stroke(v)
            pdf.text(row.0, in: l.insetBy(5), size: 10.5, align: .center)
            pdf.text(row.1, in: v.insetBy(5), size: 11.5, bold: i == 0 || i == 5)
        }
        let photoBox = PDFRect(x: block.x + block.width - photoSide.width - 4, y: block.y + 4, width: photoSide.width, height: photoSide.height)
        if let photo = c.photo {
            try pdf.image(PDFImage(bytes: [UInt8](photo.data), kind: photo.isJPEG ? .jpeg : .png), in: photoBox)
        } else {
            pdf.stroke(photoBox, lineWidth: 0.4)
            pdf.text("照片", in: photoBox, size: 10, align: .center)
        }
        pdf.spacer(mm(8))
        // The QR code (to this certificate's verification page) and the query sites, the body and date to the right.
        let qrSide = mm(30)
        let foot = pdf.reserve(qrSide + 24)
        pdf.qrCode(qr, in: PDFRect(x: foot.x, y: foot.y, width: qrSide, height: qrSide))
        pdf.text("扫码验证", in: PDFRect(x: foot.x, y: foot.y + qrSide, width: qrSide, height: 14), size: 8, align: .center, verticalAlign: .top)
        let right = PDFRect(x: foot.x + qrSide + 16, y: foot.y, width: foot.width - qrSide - 16, height: foot.height)
        let lines = [
            "证书查询：\(certificateQuerySite)",
            "评价机构查询：\(bodyQuerySite)",
            "本证书验证：\(c.verifyURL)",
            "",
            "\(c.bodyName)（盖章）",
            TicketPDF.printedDate(c.issueDate),
            "印制序号：\(c.printSerial)",
        ]
        var y = right.y
        for line in lines {
            pdf.text(line, in: PDFRect(x: right.x, y: y, width: right.width, height: 16), size: line.hasPrefix("本证书") ? 8 : 10,
                     align: line.hasPrefix("证书查询") || line.hasPrefix("评价机构") || line.hasPrefix("本证书") ? .left : .right)
            y += 16
        }
    }
}
