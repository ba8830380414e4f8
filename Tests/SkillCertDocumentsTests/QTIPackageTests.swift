import Foundation
import SkillCertCore
import Testing
import ZIPFoundation
@testable import SkillCertDocuments

@Suite("QTI 3.0 packages")
struct QTIPackageTests {
    static let items = [
        QTIItem(identifier: "ITEM-1", type: .singleChoice,
                content: ItemContent(stem: "正反转控制中互锁的作用是 <互锁> & “防短路”", options: ["防止电源短路", "提高转速", "降低电流"],
                                     correct: [0], explanation: "互锁防止两接触器同时吸合。"),
                metadata: ["occupationCode": "6-31-01-03", "edition": "2018", "level": "4", "part": "theory", "scope": "C",
                           "element": "001", "difficulty": "0.72", "source": "示例", "tags": "继电控制,互锁"]),
        QTIItem(identifier: "ITEM-2", type: .multipleChoice,
                content: ItemContent(stem: "下列属于低压电器的是", options: ["接触器", "热继电器", "变压器", "熔断器"], correct: [0, 1, 3]),
                metadata: ["level": "4", "scope": "B", "element": "006"]),
        QTIItem(identifier: "ITEM-3", type: .trueFalse, content: ItemContent(stem: "万用表可以带电测量电阻。", correct: [1]),
                metadata: ["level": "4"]),
        QTIItem(identifier: "ITEM-4", type: .fillIn, content: ItemContent(stem: "我国电网的工频为____Hz。", acceptedAnswers: ["50", "五十"]),
                metadata: ["level": "4"]),
    ]

    @Test("an exported package re-imports to identical items")
    func roundTrip() throws {
        let data = try QTIPackage.export(Self.items)
        #expect(try QTIPackage.import(data) == Self.items)
    }

    @Test("the package is a QTI 3.0 content package")
    func structure() throws {
        let archive = try Archive(data: try QTIPackage.export(Self.items), accessMode: .read)
        var manifest = Data()
        _ = try archive.extract(try #require(archive["imsmanifest.xml"])) { manifest.append($0) }
        let text = String(decoding: manifest, as: UTF8.self)
        #expect(text.contains("type=\"imsqti_item_xmlv3p0\""))
        var item = Data()
        _ = try archive.extract(try #require(archive["items/ITEM-2.xml"])) { item.append($0) }
        let xml = String(decoding: item, as: UTF8.self)
        #expect(xml.contains("http://www.imsglobal.org/xsd/imsqtiasi_v3p0"))
        #expect(xml.contains("cardinality=\"multiple\""))
        #expect(xml.contains("<qti-value>A</qti-value><qti-value>B</qti-value><qti-value>D</qti-value>"))
    }

    @Test("something that is not a package is refused")
    func notAPackage() {
        #expect(throws: SpreadsheetError.self) { try QTIPackage.import(Data("not a zip".utf8)) }
    }
}
