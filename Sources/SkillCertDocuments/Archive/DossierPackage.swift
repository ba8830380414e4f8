import Foundation
import SkillCertCore
import ZIPFoundation

/// `manifest.json` of a dossier ZIP: what the archive must contain, and where in the audit trail it stands.
public struct DossierManifest: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        public var path: String
        /// What the file is, in Chinese (the index lists it).
        public var title: String
        public var size: Int
        public var sha256: String

        public init(path: String, title: String, size: Int, sha256: String) {
            self.path = path
            self.title = title
            self.size = size
            self.sha256 = sha256
        }
    }

    /// The audit-log entries up to the export: every record in the archive was written by one of them, and the last
    /// entry's hash commits to the whole chain before it.
    public struct AuditRange: Codable, Sendable, Equatable {
        public var firstSequence: Int
        public var lastSequence: Int
        public var lastHash: String

        public init(firstSequence: Int, lastSequence: Int, lastHash: String) {
            self.firstSequence = firstSequence
            self.lastSequence = lastSequence
            self.lastHash = lastHash
        }
    }

    public struct Plan: Codable, Sendable, Equatable {
        public var id: String
        public var number: String
        public var title: String

        public init(id: String, number: String, title: String) {
            self.id = id
            self.number = number
            self.title = title
        }
    }

    public var format: String
    public var plan: Plan
    /// ISO 8601, UTC.
    public var generatedAt: String
    public var audit: AuditRange?
    public var files: [File]
}

/// One file to put in a dossier.
public struct DossierFile: Sendable {
    public var path: String
    public var title: String
    public var data: Data

    public init(path: String, title: String, data: Data) {
        self.path = path
        self.title = title
        self.data = data
    }
}

/// Writes a plan's dossier (档案) as a ZIP: the files, `index.pdf` (their table of contents) and `manifest.json`
/// (size and SHA-256 of every other file), so a copy taken out of the system can be checked later by `DossierVerifier`.
public enum DossierPackage {
    public static let manifestPath = "manifest.json"
    public static let indexPath = "index.pdf"
    public static let format = "skillcert-dossier/1"

    /// The ZIP's bytes and the manifest written into it.
    public static func write(_ files: [DossierFile], plan: DossierManifest.Plan, generatedAt: Date,
                             audit: DossierManifest.AuditRange?) throws -> (data: Data, manifest: DossierManifest) {
        let stamp = ISO8601DateFormatter().string(from: generatedAt)
        let index = DossierFile(path: indexPath, title: "档案目录", data: try indexPDF(files, plan: plan, generatedAt: stamp, audit: audit))
        let all = [index] + files
        let manifest = DossierManifest(format: format, plan: plan, generatedAt: stamp, audit: audit,
                                       files: all.map { .init(path: $0.path, title: $0.title, size: $0.data.count, sha256: ContentHash.sha256($0.data)) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let archive = try Archive(data: Data(), accessMode: .create)
        try archive.addData(manifestPath, try encoder.encode(manifest))
        for file in all { try archive.addData(file.path, file.data) }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return (data, manifest)
    }

    /// Entries written as a ZIP as they are (tests use it to make damaged copies of a dossier).
    public static func archive(_ entries: [(path: String, data: Data)]) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        for e in entries { try archive.addData(e.path, e.data) }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return data
    }

    /// The table of contents: plan, time, audit range, then one line per file.
    static func indexPDF(_ files: [DossierFile], plan: DossierManifest.Plan, generatedAt: String, audit: DossierManifest.AuditRange?) throws -> Data {
        let pdf = PDFBuilder(footer: "\(plan.title) 档案目录")
        pdf.text("认定档案目录", size: 18, bold: true, align: .center, spacingAfter: 6)
        pdf.text("\(plan.title)（\(plan.number)）", size: 12, align: .center, spacingAfter: 4)
        pdf.text("生成时间：\(generatedAt)", size: 10, align: .center, spacingAfter: 4)
        if let audit {
            pdf.text("审计日志：第 \(audit.firstSequence)–\(audit.lastSequence) 条，末条哈希 \(audit.lastHash)", size: 9, spacingAfter: 10)
        }
        pdf.table(header: ["序号", "文件", "内容", "大小（字节）"], widths: [0.08, 0.52, 0.26, 0.14],
                  rows: files.enumerated().map { [String($0.offset + 1), $0.element.path, $0.element.title, String($0.element.data.count)] }, size: 8)
        pdf.spacer(12)
        pdf.text("每个文件的 SHA-256 见 manifest.json；可用 skillcert archive verify 校验。", size: 9)
        return Data(try pdf.finish())
    }
}

/// The outcome of checking a dossier ZIP against its manifest.
public struct DossierReport: Sendable, Equatable {
    public var checked: Int
    /// In the manifest, not in the archive.
    public var missing: [String]
    /// In the archive, not in the manifest.
    public var extra: [String]
    /// Size or SHA-256 differs from the manifest.
    public var changed: [String]
    public var manifest: DossierManifest

    public var isIntact: Bool { missing.isEmpty && extra.isEmpty && changed.isEmpty }
}

/// Checks every file of a dossier ZIP against `manifest.json`.
public enum DossierVerifier {
    public static let notDossier = SpreadsheetError(code: "not_dossier", zh: "该文件不是档案压缩包（缺少 manifest.json）",
                                                    en: "not a dossier archive (no manifest.json)")

    /// Reads the archive at `url` without loading it whole.
    public static func verify(fileAt url: URL) throws -> DossierReport {
        try verify(ZipReader(fileAt: url, notZip: notDossier))
    }

    public static func verify(_ data: Data) throws -> DossierReport {
        try verify(ZipReader(data: data, notZip: notDossier))
    }

    static func verify(_ zip: ZipReader) throws -> DossierReport {
        guard let raw = try zip.readPart(DossierPackage.manifestPath),
              let manifest = try? JSONDecoder().decode(DossierManifest.self, from: raw) else { throw notDossier }
        var report = DossierReport(checked: 0, missing: [], extra: [], changed: [], manifest: manifest)
        let listed = Set(manifest.files.map(\.path))
        report.extra = zip.entries.map(\.path).filter { $0 != DossierPackage.manifestPath && !listed.contains($0) && !$0.hasSuffix("/") }
        for file in manifest.files {
            guard let entry = zip[file.path] else {
                report.missing.append(file.path)
                continue
            }
            var hasher = ContentHash.Hasher()
            var size = 0
            do {
                try zip.streamPart(entry) { bytes in
                    hasher.update(bytes)
                    size += bytes.count
                }
            } catch is SpreadsheetError {
                // A damaged entry (bad checksum, truncated) is a changed file, not a reason to stop checking the rest.
                report.changed.append(file.path)
                continue
            }
            report.checked += 1
            if size != file.size || hasher.finalize() != file.sha256 { report.changed.append(file.path) }
        }
        return report
    }
}

extension Archive {
    /// Adds a binary entry, deflated.
    func addData(_ path: String, _ data: Data) throws {
        try addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }
}
