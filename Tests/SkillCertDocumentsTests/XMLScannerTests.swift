import Foundation
import Testing
@testable import SkillCertDocuments

@Suite("XML scanner")
struct XMLScannerTests {
    /// Writes down every event as text, so two scans can be compared.
    struct Recorder: XMLScanHandler {
        var events: [String] = []
        var text = XMLText()

        mutating func start(_ tag: XMLTag) throws {
            flush()
            let name = String(decoding: UnsafeBufferPointer(start: tag.localName.start, count: tag.localName.count), as: UTF8.self)
            guard let all = tag.all() else { throw XMLScannerTests.invalid }
            let attributes = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            events.append("<\(name)\(attributes.map { " " + $0 }.joined())\(tag.selfClosing ? "/" : "")>")
        }

        mutating func end(_ name: XMLName) throws {
            flush()
            events.append("</\(String(decoding: UnsafeBufferPointer(start: name.start, count: name.count), as: UTF8.self))>")
        }

        mutating func text(_ bytes: UnsafeRawBufferPointer) throws { text.append(bytes) }
        mutating func cdata(_ bytes: UnsafeRawBufferPointer) throws { text.appendLiteral(bytes) }

        mutating func flush() {
            if !text.isEmpty { events.append(text.string() ?? "<bad entity>") }
            text.reset()
        }
    }

    static let invalid = SpreadsheetError(code: "invalid_xml", zh: "x", en: "x")

    /// Scans `xml` fed in pieces of `size` bytes.
    static func events(_ xml: String, chunk size: Int) throws -> [String] {
        let bytes = Array(xml.utf8)
        var scanner = XMLScanner(handler: Recorder(), invalid: invalid)
        var i = 0
        while i < bytes.count {
            let end = min(i + size, bytes.count)
            try bytes[i..<end].withUnsafeBytes { try scanner.feed($0) }
            i = end
        }
        try scanner.finish()
        scanner.handler.flush()
        return scanner.handler.events
    }

    static let document = """
        \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE x [ <!ENTITY e "boom"> <!-- > --> ]>
        <!-- a comment with <tags> & -- inside -->
        <x:root xmlns:x="urn:x" a='single "q"' b = "gt > in value">
          <x:row r="1"><c r="A1"/><t xml:space="preserve">  a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#20013;&#x6587;  </t></x:row>
          <?pi inside?><v><![CDATA[1 < 2 & <b>]]></v><t>line1\r\nline2\rline3</t>
        </x:root>

        """

    @Test("any chunk size gives the same events: tags, entities and CDATA cut anywhere")
    func chunkBoundaries() throws {
        let whole = try Self.events(Self.document, chunk: 1 << 20)
        #expect(whole.contains("<root a=single \"q\" b=gt > in value xmlns:x=urn:x>"))
        #expect(whole.contains("<c r=A1/>"))
        #expect(whole.contains("  a & b <c> \"d\" 'e' 中文  "))
        #expect(whole.contains("1 < 2 & <b>"))
        #expect(whole.contains("line1\nline2\nline3"))
        #expect(!whole.contains(where: { $0.contains("boom") || $0.contains("comment") }))
        for size in [1, 2, 3, 5, 7, 13] {
            #expect(try Self.events(Self.document, chunk: size) == whole, "chunk size \(size)")
        }
    }

    /// A small deterministic generator, so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D1_33EB_2311_14EB
            return z ^ (z >> 31)
        }
    }

    /// The events or the error of a scan, for comparing two scans of the same bytes.
    static func outcome(_ bytes: [UInt8], chunk size: Int) -> String {
        var scanner = XMLScanner(handler: Recorder(), invalid: invalid)
        do {
            var i = 0
            while i < bytes.count {
                let end = min(i + size, bytes.count)
                try bytes[i..<end].withUnsafeBytes { try scanner.feed($0) }
                i = end
            }
            try scanner.finish()
            scanner.handler.flush()
            return scanner.handler.events.joined(separator: "|")
        } catch {
            return "error"
        }
    }

    @Test("damaged documents never crash, and chunking never changes the outcome")
    func mutations() {
        var random = SplitMix(state: 2024)
        let original = Array(Self.document.utf8)
        let alphabet = Array("<>/='\"&;!?-[]x :#".utf8)
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[at] = alphabet.randomElement(using: &random)!
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
                }
            }
            let whole = Self.outcome(bytes, chunk: bytes.count + 1)
            let size = Int.random(in: 1...9, using: &random)
            #expect(Self.outcome(bytes, chunk: size) == whole, "\(String(decoding: bytes, as: UTF8.self)) in chunks of \(size)")
        }
    }

    @Test("malformed XML is refused", arguments: [
        "<a><b></a></b>", "<a>", "<a></a><b/>", "text<a/>", "<a b=c/>", "<a b=\"1\"c=\"2\"/>", "<a b=\"<\"/>",
        "<a><!-- unfinished </a>", "", "<a></ a>", "<a x='1>", "<a>\u{FEFF}</a><!-- --> x",
    ])
    func malformed(_ xml: String) {
        for size in [1, 4, 1000] {
            #expect(throws: Self.invalid, "\(xml) in chunks of \(size)") { _ = try Self.events(xml, chunk: size) }
        }
    }

    @Test("entities decode strictly; unknown ones are an error, never expanded")
    func entities() {
        func decode(_ s: String) -> String? { Array(s.utf8).withUnsafeBytes { XMLText.decode($0) } }
        #expect(decode("&#65;&#x42;&#x1F600;") == "AB😀")
        #expect(decode("a&b") == nil)
        #expect(decode("&e;") == nil)
        #expect(decode("&#0;") == nil)
        #expect(decode("&#xD800;") == nil)
        #expect(decode("&#x110000;") == nil)
        #expect(decode("&amp") == nil)
    }

    @Test("a long comment full of > across many chunks is skipped whole")
    func longComment() throws {
        let comment = "<!--" + String(repeating: "a>-", count: 300_000) + "-->"
        let xml = "<root><x/>\(comment)<y>\(comment)</y></root>"
        #expect(try Self.events(xml, chunk: 4096) == ["<root>", "<x/>", "</x>", "<y>", "</y>", "</root>"])
    }

    @Test("a tag without an end is refused once it outgrows the limit, not buffered forever")
    func unboundedTag() throws {
        var scanner = XMLScanner(handler: Recorder(), invalid: Self.invalid)
        let chunk = Array(repeating: UInt8(ascii: "a"), count: 1 << 20)
        try Array("<root><a b=\"".utf8).withUnsafeBytes { try scanner.feed($0) }
        #expect(throws: Self.invalid) {
            for _ in 0..<8 { try chunk.withUnsafeBytes { try scanner.feed($0) } }
        }
    }
}
