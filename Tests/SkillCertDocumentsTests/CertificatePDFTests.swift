import Foundation
import Testing
@testable import SkillCertDocuments

@Suite("Certificate PDF")
struct CertificatePDFTests {
    func certificate(_ number: String, name: String, bilingual: Bool = false) -> PrintedCertificate {
        PrintedCertificate(number: number, printSerial: 2, name: name, idType: "居民身份证", idNumber: "11010519800101002X", occupation: "电工",
                           workType: "--", level: "三级/高级工", levelEnglish: "Level 3 / Senior worker", bodyName: "南京示例职业技能评价中心",
                           issueDate: "2027-02-01", photo: .init(data: Data(TicketFixtures.redJPEG), isJPEG: true),
                           verifyURL: "https://certs.example.cn/verify/\(number)", bilingual: bilingual)
    }

    @Test("an A4 page with every field in Chinese, the photo, the CJK font embedded as a subset, and a QR code of the verification page")
    func onePage() throws {
        let file = try PDFFile(CertificatePDF.render([certificate("S000132320102273000001", name: "王小明")]))
        defer { file.remove() }
        let text = try file.text(page: 1).replacingOccurrences(of: " ", with: "")
        for expected in ["职业技能等级证书", "王小明", "居民身份证", "11010519800101002X", "电工（--）", "三级/高级工", "S000132320102273000001",
                         "2027年2月1日", "南京示例职业技能评价中心", "jndj.osta.org.cn", "pjjg.osta.org.cn", "印制序号：2"] {
            #expect(text.contains(expected), "missing \(expected)")
        }
        #expect(try file.qrCodes(page: 1) == ["https://certs.example.cn/verify/S000132320102273000001"])
        #expect(try file.photos().count == 1)
        let fonts = String(decoding: try file.run("pdffonts", [file.pdf.path]).output, as: UTF8.self)
        let cjk = fonts.split(separator: "\n").filter { $0.contains("Noto") || $0.contains("CJK") }
        #expect(!cjk.isEmpty && cjk.allSatisfy { $0.contains("+") && $0.contains(" yes yes ") }, "fonts: \(fonts)")
        let size = String(decoding: try file.run("pdfinfo", [file.pdf.path]).output, as: UTF8.self)
        #expect(size.contains("595.276 x 841.89") || size.contains("595.28 x 841.89"), "\(size)")
    }

    @Test("a print batch has one page per certificate; the bilingual layout adds English")
    func batchAndBilingual() throws {
        let file = try PDFFile(CertificatePDF.render((1...3).map { certificate("S00013232010227300000\($0)", name: "考生\($0)") }))
        defer { file.remove() }
        #expect(try file.pageCount() == 3)
        // Each page its own holder, number and QR code, the shared labels on every page.
        for n in 1...3 {
            let text = try file.text(page: n).replacingOccurrences(of: " ", with: "")
            #expect(text.contains("考生\(n)") && text.contains("S00013232010227300000\(n)") && text.contains("证书查询"))
            #expect(!text.contains("考生\(n % 3 + 1)"))
            #expect(try file.qrCodes(page: n) == ["https://certs.example.cn/verify/S00013232010227300000\(n)"])
        }
        let bilingual = try PDFFile(CertificatePDF.render([certificate("S000132320102273000009", name: "李华", bilingual: true)]))
        defer { bilingual.remove() }
        #expect(try bilingual.text(page: 1).contains("Vocational Skill Level Certificate"))
    }
}
