import Foundation
import SkillCertCore
import ZIPFoundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An objective item as exchanged in QTI 3.0, with SkillCert's own metadata (standard, level, element, difficulty…)
/// carried in the package manifest.
public struct QTIItem: Equatable, Sendable {
    public var identifier: String
    public var type: ItemType
    public var content: ItemContent
    public var metadata: [String: String]

    public init(identifier: String, type: ItemType, content: ItemContent, metadata: [String: String]) {
        self.identifier = identifier
        self.type = type
        self.content = content
        self.metadata = metadata
    }
}

/// Writes and reads QTI 3.0 content packages (imsmanifest.xml plus one qti-assessment-item per item) for single
/// choice, multiple choice, true/false and fill-in items.
public enum QTIPackage {
    static let itemNS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
    static let manifestNS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
    static let metadataNS = "urn:skillcert:qti-metadata:1"

    public static func export(_ items: [QTIItem]) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        func add(_ path: String, _ text: String) throws { try archive.addText(path, text) }
        var resources = ""
        for item in items {
            guard item.type != .practicalTask else { continue }
            let href = "items/\(item.identifier).xml"
            try add(href, itemXML(item))
            let attrs = item.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(esc($0.value))\"" }.joined(separator: " ")
            resources += "<resource identifier=\"\(esc(item.identifier))\" type=\"imsqti_item_xmlv3p0\" href=\"\(href)\"><metadata><sc:item type=\"\(item.type.rawValue)\" \(attrs)/></metadata><file href=\"\(href)\"/></resource>\n"
        }
        try add("imsmanifest.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <manifest xmlns="\(manifestNS)" xmlns:sc="\(metadataNS)" identifier="SKILLCERT-EXPORT">
            <metadata><schema>QTI Package</schema><schemaversion>3.0.0</schemaversion></metadata>
            <organizations/>
            <resources>
            \(resources)</resources>
            </manifest>
            """)
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return data
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func itemXML(_ item: QTIItem) -> String {
        let c = item.content
        var declaration = ""
        var body = ""
        var processing = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
        switch item.type {
        case .singleChoice, .multipleChoice:
            let cardinality = item.type == .singleChoice ? "single" : "multiple"
            let values = (c.correct ?? []).map { "<qti-value>\(alphabeticLabel($0))</qti-value>" }.joined()
            declaration = "<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"\(cardinality)\" base-type=\"identifier\"><qti-correct-response>\(values)</qti-correct-response></qti-response-declaration>"
            let choices = (c.options ?? []).enumerated().map { "<qti-simple-choice identifier=\"\(alphabeticLabel($0.offset))\">\(esc($0.element))</qti-simple-choice>" }.joined()
            body = "<qti-choice-interaction response-identifier=\"RESPONSE\" shuffle=\"false\" max-choices=\"\(item.type == .singleChoice ? 1 : 0)\"><qti-prompt>\(esc(c.stem))</qti-prompt>\(choices)</qti-choice-interaction>"
        case .trueFalse:
            declaration = "<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"single\" base-type=\"identifier\"><qti-correct-response><qti-value>\(c.correct == [0] ? "true" : "false")</qti-value></qti-correct-response></qti-response-declaration>"
            body = "<qti-choice-interaction response-identifier=\"RESPONSE\" shuffle=\"false\" max-choices=\"1\"><qti-prompt>\(esc(c.stem))</qti-prompt><qti-simple-choice identifier=\"true\">正确</qti-simple-choice><qti-simple-choice identifier=\"false\">错误</qti-simple-choice></qti-choice-interaction>"
        case .fillIn:
            let answers = c.acceptedAnswers ?? []
            let entries = answers.map { "<qti-map-entry map-key=\"\(esc($0))\" mapped-value=\"1\"/>" }.joined()
            declaration = "<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"single\" base-type=\"string\"><qti-correct-response><qti-value>\(esc(answers.first ?? ""))</qti-value></qti-correct-response><qti-mapping default-value=\"0\">\(entries)</qti-mapping></qti-response-declaration>"
            body = "<p class=\"stem\">\(esc(c.stem))</p><p><qti-text-entry-interaction response-identifier=\"RESPONSE\"/></p>"
            processing = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/map_response.xml"
        case .practicalTask:
            break
        }
        let rubric = c.explanation.map { "<qti-rubric-block use=\"scoring\" view=\"scorer\"><p class=\"explanation\">\(esc($0))</p></qti-rubric-block>" } ?? ""
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <qti-assessment-item xmlns="\(itemNS)" identifier="\(esc(item.identifier))" title="\(esc(String(c.stem.prefix(40))))" adaptive="false" time-dependent="false" xml:lang="zh-CN">
            \(declaration)
            <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"><qti-default-value><qti-value>0</qti-value></qti-default-value></qti-outcome-declaration>
            <qti-item-body>\(rubric)\(body)</qti-item-body>
            <qti-response-processing template="\(processing)"/>
            </qti-assessment-item>
            """
    }

    /// The most a package may decompress to, all parts together.
    static let maxPackageBytes: Int64 = 256 << 20

    /// Reads a package written by `export` (or by another tool using the same interactions).
    public static func `import`(_ data: Data) throws -> [QTIItem] {
        let archive = try ZipReader(data: data, notZip: SpreadsheetError(code: "not_qti", zh: "文件不是 QTI 压缩包",
                                                                         en: "not a QTI package"))
        // Each part is held to its declared size, so the sum bounds the work: a 20 MB upload can otherwise list
        // thousands of entries that all point at the same compressed bomb.
        guard archive.entries.reduce(0, { $0 + $1.uncompressedSize }) <= maxPackageBytes else {
            let limit = maxPackageBytes >> 20
            throw SpreadsheetError(code: "too_large", zh: "QTI 压缩包解压后超过 \(limit) MB，请拆分后再导入",
                                   en: "the package is over \(limit) MB uncompressed; split it and import again")
        }
        func part(_ path: String) throws -> Data? { try archive.readPart(path) }
        guard let manifest = try part("imsmanifest.xml") else {
            throw SpreadsheetError(code: "not_qti", zh: "压缩包中没有 imsmanifest.xml", en: "the package has no imsmanifest.xml")
        }
        let resources = ManifestParser.parse(manifest)
        return try resources.map { r in
            guard let xml = try part(r.href) else {
                throw SpreadsheetError(code: "missing_item", zh: "缺少试题文件 \(r.href)", en: "missing \(r.href)")
            }
            let parsed = ItemParser.parse(xml)
            guard let type = ItemType(rawValue: r.metadata["type"] ?? "") ?? parsed.inferredType else {
                throw SpreadsheetError(code: "unknown_type", zh: "无法识别 \(r.href) 的题型", en: "unknown item type in \(r.href)")
            }
            var content = ItemContent(stem: parsed.prompt, explanation: parsed.explanation)
            switch type {
            case .singleChoice, .multipleChoice:
                content.options = parsed.choices.map(\.text)
                content.correct = parsed.correct.compactMap { v in parsed.choices.firstIndex { $0.id == v } }
            case .trueFalse:
                content.correct = parsed.correct.first == "true" ? [0] : [1]
            case .fillIn:
                content.acceptedAnswers = parsed.mapKeys.isEmpty ? parsed.correct : parsed.mapKeys
            case .practicalTask:
                break
            }
            var metadata = r.metadata
            metadata["type"] = nil
            return QTIItem(identifier: r.identifier, type: type, content: content, metadata: metadata)
        }
    }
}

final class ManifestParser: NSObject, XMLParserDelegate {
    struct Resource {
        var identifier: String
        var href: String
        var metadata: [String: String]
    }

    var resources: [Resource] = []

    static func parse(_ data: Data) -> [Resource] {
        let p = ManifestParser()
        let parser = XMLParser(data: data)
        parser.delegate = p
        _ = parser.parse()
        return p.resources
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if name == "resource", attributes["type"]?.hasPrefix("imsqti_item") == true {
            resources.append(Resource(identifier: attributes["identifier"] ?? "", href: attributes["href"] ?? "", metadata: [:]))
        } else if name == "sc:item" || qualifiedName == "sc:item", !resources.isEmpty {
            resources[resources.count - 1].metadata = attributes
        }
    }
}

final class ItemParser: NSObject, XMLParserDelegate {
    var prompt = ""
    var explanation: String?
    var choices: [(id: String, text: String)] = []
    var correct: [String] = []
    var mapKeys: [String] = []
    var cardinality = "single"
    var baseType = "identifier"
    var hasChoice = false
    var hasTextEntry = false
    var path: [String] = []
    var text = ""
    var choiceID = ""

    var inferredType: ItemType? {
        if hasTextEntry { return .fillIn }
        if hasChoice {
            if Set(choices.map(\.id)) == ["true", "false"] { return .trueFalse }
            return cardinality == "multiple" ? .multipleChoice : .singleChoice
        }
        return nil
    }

    static func parse(_ data: Data) -> ItemParser {
        let p = ItemParser()
        let parser = XMLParser(data: data)
        parser.delegate = p
        _ = parser.parse()
        return p
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        path.append(name)
        text = ""
        switch name {
        case "qti-response-declaration":
            cardinality = attributes["cardinality"] ?? "single"
            baseType = attributes["base-type"] ?? "identifier"
        case "qti-simple-choice": choiceID = attributes["identifier"] ?? ""
        case "qti-choice-interaction": hasChoice = true
        case "qti-text-entry-interaction": hasTextEntry = true
        case "qti-map-entry": if let k = attributes["map-key"] { mapKeys.append(k) }
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "qti-prompt": prompt = text
        case "p" where path.contains("qti-rubric-block"): explanation = text
        case "p" where path.contains("qti-item-body") && prompt.isEmpty && !text.isEmpty: prompt = text
        case "qti-simple-choice": choices.append((choiceID, text))
        case "qti-value" where path.contains("qti-correct-response"): correct.append(text)
        default: break
        }
        path.removeLast()
        text = ""
    }
}
