import FluentKit
import FluentSQLiteDriver
import Foundation
import SkillCertCore
import SQLKit

/// `skillcert backup` / `skillcert restore`: a consistent snapshot of every table and of the file store, and its
/// restoration into a new installation.
///
/// A backup directory holds `tables/<table>.jsonl` (one JSON array of typed values per row, columns as the manifest
/// lists them), `files/ab/cd/<sha256>` (the file store's content) and `manifest.json`, written last.
///
/// Restore target: a migrated installation with nothing in it but what the migrations seed (the shipped standards
/// and holiday calendar, and their audit entries by the actor `migration`). Every other change goes through the
/// audit log, so "no audit entry by anyone else, and no account" is the test for empty. The restore replaces the
/// seeded rows with the backup's (whose migrations seeded the same content at another time), in one transaction.
public enum BackupStore {
    /// Called with a table's name (or `files`) and the rows (or files) done so far.
    public typealias Progress = @Sendable (_ step: String, _ count: Int) -> Void

    static let rowsPerProgress = 5000

    // MARK: Backup

    /// Writes a snapshot into `directory`, which must not exist or be empty. Every table is read inside one
    /// read-only transaction (REPEATABLE READ on PostgreSQL; one transaction on one connection on SQLite), so the
    /// tables agree with each other and with the audit chain's head recorded in the manifest.
    @discardableResult
    public static func backup(to directory: URL, on db: any Database, files: LocalFileStore?, time: any TimeSource,
                              progress: Progress? = nil) async throws -> BackupManifest {
        let fm = FileManager.default
        if let existing = try? fm.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw BackupError.directoryNotEmpty(directory.path)
        }
        let tablesDir = directory.appendingPathComponent("tables", isDirectory: true)
        try fm.createDirectory(at: tablesDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])

        let snapshot = try await db.transaction { tx -> (tables: [BackupManifest.Table], migrations: [String], audit: BackupManifest.AuditHead, engine: String) in
            let sql = try tx.sql()
            if sql.dialect.name == "postgresql" {
                // The first statement of the transaction, so the whole snapshot is one consistent view.
                try await sql.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").run()
            }
            let schema = try await BackupSchema.read(sql)
            guard schema[migrationsTable] != nil else { throw BackupError.targetNotMigrated }
            var tables: [BackupManifest.Table] = []
            for table in schema.tables {
                tables.append(try await dump(table, schema: schema, on: sql, into: tablesDir, progress: progress))
            }
            let migrations = try await sql.raw("SELECT name FROM \(ident: migrationsTable) ORDER BY name").all()
                .map { try $0.decode(column: "name", as: String.self) }
            let last = try await AuditEntry.query(on: tx).sort(\.$id, .descending).first()
            let audit = BackupManifest.AuditHead(lastSequence: last?.id ?? 0, headHash: last?.hash ?? AuditRecord.genesisHash)
            return (tables, migrations, audit, sql.dialect.name)
        }
        DurableFile.syncDirectory(tablesDir)

        // Files are content-addressed and never change under their name, so copying them after the snapshot still
        // covers every file the snapshot refers to.
        let stored = try files.map { try copyFileStore($0, into: directory, progress: progress) } ?? []

        let manifest = BackupManifest(formatVersion: BackupManifest.currentFormat, engine: snapshot.engine,
                                      createdAt: AuditRecord.timestamp(time.now()), migrations: snapshot.migrations,
                                      tables: snapshot.tables, files: stored, audit: snapshot.audit)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let out = try DurableFile(creating: directory.appendingPathComponent(BackupManifest.fileName))
        try out.append(try encoder.encode(manifest))
        _ = try out.finish()
        DurableFile.syncDirectory(directory)
        return manifest
    }

    static let migrationsTable = "_fluent_migrations"

    /// Streams one table into `tables/<name>.jsonl`, in a stable order (every sortable column, left to right).
    static func dump(_ table: BackupSchema.Table, schema: BackupSchema, on sql: any SQLDatabase, into folder: URL,
                     progress: Progress?) async throws -> BackupManifest.Table {
        let out = try DurableFile(creating: folder.appendingPathComponent("\(table.name).jsonl"))
        let sink = RowSink(table: table.name, file: out, progress: progress)
        let selected: [any SQLExpression] = schema.isPostgres ? table.columns.map(\.postgresSelect) : table.columns.map { SQLIdentifier($0.name) }
        let order = table.columns.indices.filter { table.columns[$0].sortable }.map { SQLLiteral.numeric("\($0 + 1)") as any SQLExpression }
        let query = order.isEmpty
            ? SQLQueryString("SELECT \(SQLList(selected)) FROM \(ident: table.name)")
            : SQLQueryString("SELECT \(SQLList(selected)) FROM \(ident: table.name) ORDER BY \(SQLList(order))")
        let isPostgres = schema.isPostgres
        try await sql.raw(query).run { row in
            sink.write {
                try table.columns.map { column in
                    isPostgres ? try column.postgresValue(row) : try row.decode(column: column.name, as: SQLiteStorage.self).value
                }
            }
        }
        let rows = try sink.finish()
        return BackupManifest.Table(name: table.name, columns: table.columns.map(\.name), rows: rows, sha256: try out.finish())
    }

    /// Copies every stored file into `files/`, checking each against its name on the way.
    static func copyFileStore(_ store: LocalFileStore, into directory: URL, progress: Progress?) throws -> [BackupManifest.StoredFile] {
        let fm = FileManager.default
        var keys: [String] = []
        if let walk = fm.enumerator(at: store.root, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walk {
                let key = url.lastPathComponent
                // Only `ab/cd/<key>`: temporary files of an upload in progress start with a dot and are not stored yet.
                let parent = url.deletingLastPathComponent()
                guard (try? store.location(key)) != nil, parent.lastPathComponent == String(key.dropFirst(2).prefix(2)),
                      parent.deletingLastPathComponent().lastPathComponent == String(key.prefix(2)) else { continue }
                keys.append(key)
            }
        }
        var stored: [BackupManifest.StoredFile] = []
        for key in keys.sorted() {
            let data = try Data(contentsOf: try store.location(key))
            guard LocalFileStore.key(for: data) == key else { throw FileStoreError.corrupted(key) }
            let entry = BackupManifest.StoredFile(key: key, bytes: data.count)
            let target = directory.appendingPathComponent(entry.file)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true,
                                   attributes: [.posixPermissions: 0o700])
            let out = try DurableFile(creating: target)
            try out.append(data)
            _ = try out.finish()
            DurableFile.syncDirectory(target.deletingLastPathComponent())
            stored.append(entry)
            progress?("files", stored.count)
        }
        return stored
    }

    // MARK: Verify

    /// Reads the manifest and checks every file of the backup against it, before anything is written anywhere.
    public static func verify(_ directory: URL, progress: Progress? = nil) throws -> BackupManifest {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(BackupManifest.fileName).path),
              let manifest = try? JSONDecoder().decode(BackupManifest.self, from: data) else {
            throw BackupError.notABackup(directory.path)
        }
        guard manifest.formatVersion == BackupManifest.currentFormat else { throw BackupError.unsupportedFormat(manifest.formatVersion) }
        for table in manifest.tables {
            // Table names become file names: nothing that could leave the directory.
            guard !table.name.isEmpty, table.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw BackupError.tampered(file: BackupManifest.fileName)
            }
            guard DurableFile.sha256(of: directory.appendingPathComponent(table.file)) == table.sha256 else {
                throw BackupError.tampered(file: table.file)
            }
        }
        for (n, file) in manifest.files.enumerated() {
            guard file.key.count == 64, file.key.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                throw BackupError.tampered(file: BackupManifest.fileName)
            }
            guard DurableFile.sha256(of: directory.appendingPathComponent(file.file)) == file.key else {
                throw BackupError.tampered(file: file.file)
            }
            progress?("verified files", n + 1)
        }
        return manifest
    }

    // MARK: Restore

    /// Whether the database holds nothing but what the migrations seed; nil when it does, else the reason.
    public static func contentsBesidesSeeds(on db: any Database) async throws -> String? {
        let users = try await User.query(on: db).count()
        if users > 0 { return "\(users) account(s)" }
        let audited = try await AuditEntry.query(on: db).filter(\.$actorName != seedActor).count()
        if audited > 0 { return "\(audited) audit entries" }
        return nil
    }

    /// The actor of the migrations' seed data.
    static let seedActor = "migration"

    /// Restores a verified backup into an empty installation, all rows in one transaction, then the files; checks
    /// the audit chain and its head against the manifest before committing, and records the restore in the chain.
    @discardableResult
    public static func restore(from directory: URL, on db: any Database, files: LocalFileStore?, actor: AuditActor,
                               time: any TimeSource, progress: Progress? = nil) async throws -> BackupManifest {
        let manifest = try verify(directory, progress: progress)
        let sql = try db.sql()
        let schema = try await BackupSchema.read(sql)
        guard schema[migrationsTable] != nil, schema[AuditEntry.schema] != nil else { throw BackupError.targetNotMigrated }
        try checkSchema(manifest, against: schema)
        let migrations = try await sql.raw("SELECT name FROM \(ident: migrationsTable) ORDER BY name").all()
            .map { try $0.decode(column: "name", as: String.self) }
        guard migrations == manifest.migrations else {
            throw BackupError.schemaMismatch("the backup was made with \(manifest.migrations.count) migrations, this installation has \(migrations.count); use the same version of skillcert")
        }
        if let reason = try await contentsBesidesSeeds(on: db) { throw BackupError.targetNotEmpty(reason) }

        // Files first: they are content-addressed, so a restore that fails later leaves only unreferenced files.
        if let files {
            for (n, file) in manifest.files.enumerated() {
                _ = try await files.put(try Data(contentsOf: directory.appendingPathComponent(file.file)))
                progress?("files", n + 1)
            }
        }

        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let tx = try audit.db.sql()
            // Checked again inside the transaction: nothing may have been written since.
            if let reason = try await contentsBesidesSeeds(on: audit.db) { throw BackupError.targetNotEmpty(reason) }
            if !schema.isPostgres { try await tx.raw("PRAGMA defer_foreign_keys = ON").run() }
            // The seeds' audit entries go with the seeds: the backup's chain carries its own. The append-only guard is
            // lifted for that within this transaction only, by the migration that installs it.
            try await CreateAuditAppendOnlyTriggers().revert(on: audit.db)
            for table in schema.tables.reversed() {
                try await tx.raw("DELETE FROM \(ident: table.name)").run()
            }
            for table in schema.tables {
                guard let entry = manifest.tables.first(where: { $0.name == table.name }) else { continue }
                try await load(entry, into: table, from: directory, on: audit.db, isPostgres: schema.isPostgres, progress: progress)
            }
            try await CreateAuditAppendOnlyTriggers().prepare(on: audit.db)
            if schema.isPostgres { try await resetSequences(on: tx) }

            switch try await AuditLog.verify(on: audit.db) {
            case .failure(let broken): throw BackupError.auditChainBroken("entry #\(broken.sequence): \(broken.explanation)")
            case .success:
                let last = try await AuditEntry.query(on: audit.db).sort(\.$id, .descending).first()
                guard (last?.id ?? 0) == manifest.audit.lastSequence, (last?.hash ?? AuditRecord.genesisHash) == manifest.audit.headHash else {
                    throw BackupError.auditChainBroken("its head is not the manifest's")
                }
            }
            try await audit.record(AuditEvent(
                action: "backup.restore", targetType: "installation", targetID: nil,
                reason: "从备份恢复 (restored from a backup)",
                details: "backup of \(manifest.createdAt) (\(manifest.engine)): \(manifest.tables.count) tables, \(manifest.totalRows) rows, \(manifest.files.count) files, audit head #\(manifest.audit.lastSequence) \(manifest.audit.headHash)"))
        }
        return manifest
    }

    /// The backup's tables and columns must be this installation's.
    static func checkSchema(_ manifest: BackupManifest, against schema: BackupSchema) throws {
        let ours = Set(schema.tables.map(\.name))
        let theirs = Set(manifest.tables.map(\.name))
        if let missing = theirs.subtracting(ours).sorted().first { throw BackupError.schemaMismatch("no table \(missing) here") }
        if let extra = ours.subtracting(theirs).sorted().first { throw BackupError.schemaMismatch("the backup has no table \(extra)") }
        for table in manifest.tables {
            let columns = Set(schema[table.name]?.columns.map(\.name) ?? [])
            guard Set(table.columns) == columns, table.columns.count == columns.count else {
                throw BackupError.schemaMismatch("the columns of \(table.name) differ")
            }
        }
    }

    /// Inserts one table's rows in multi-row statements within the engines' limits of bound values.
    static func load(_ entry: BackupManifest.Table, into table: BackupSchema.Table, from directory: URL, on db: any Database,
                     isPostgres: Bool, progress: Progress?) async throws {
        let kinds = entry.columns.map { name in table.columns.first { $0.name == name }!.kind }
        let perStatement = max(1, (isPostgres ? 60_000 : 30_000) / max(1, entry.columns.count))
        let decoder = JSONDecoder()
        var reader = try LineReader(directory.appendingPathComponent(entry.file))
        defer { reader.close() }
        var batch: [[BackupValue]] = []
        var count = 0
        while let line = try reader.next() {
            if line.isEmpty { continue }
            guard let values = try? decoder.decode([BackupValue].self, from: line), values.count == entry.columns.count else {
                throw BackupError.tampered(file: entry.file)
            }
            batch.append(values)
            count += 1
            if batch.count == perStatement {
                try await insert(batch, into: entry, kinds: kinds, firstRow: count - batch.count + 1, on: db, isPostgres: isPostgres)
                batch.removeAll(keepingCapacity: true)
                progress?(entry.name, count)
            }
        }
        try await insert(batch, into: entry, kinds: kinds, firstRow: count - batch.count + 1, on: db, isPostgres: isPostgres)
        guard count == entry.rows else { throw BackupError.tampered(file: entry.file) }
        progress?(entry.name, count)
    }

    static func insert(_ rows: [[BackupValue]], into entry: BackupManifest.Table, kinds: [BackupSchema.Kind], firstRow: Int,
                       on db: any Database, isPostgres: Bool) async throws {
        guard !rows.isEmpty else { return }
        if !isPostgres, let sqlite = db as? any SQLiteDatabase {
            // SQLite stores what it is given: the values go in with the storage class they came out with.
            let quote = { (name: String) in "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            let tuple = "(" + Array(repeating: "?", count: entry.columns.count).joined(separator: ",") + ")"
            let statement = "INSERT INTO \(quote(entry.name)) (" + entry.columns.map(quote).joined(separator: ",") + ") VALUES "
                + Array(repeating: tuple, count: rows.count).joined(separator: ",")
            _ = try await sqlite.query(statement, rows.flatMap { $0.map(\.sqlite) })
            return
        }
        var insert = try db.sql().insert(into: entry.name).columns(entry.columns)
        for (n, row) in rows.enumerated() {
            var expressions: [any SQLExpression] = []
            for (i, value) in row.enumerated() {
                guard let e = value.postgres(kinds[i]) else {
                    throw BackupError.badValue(table: entry.name, column: entry.columns[i], row: firstRow + n)
                }
                expressions.append(e)
            }
            insert = insert.values(expressions)
        }
        try await insert.run()
    }

    /// Serial and identity columns continue after the restored rows.
    static func resetSequences(on sql: any SQLDatabase) async throws {
        let columns = try await sql.raw("""
            SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
            WHERE table_schema = current_schema() AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')
            """).all()
        for row in columns {
            let table = try row.decode(column: "t", as: String.self)
            let column = try row.decode(column: "c", as: String.self)
            try await sql.raw("""
                SELECT setval(pg_get_serial_sequence(\(bind: "\"\(table)\""), \(bind: column)),
                              COALESCE(MAX(\(ident: column)), 0) + 1, false) FROM \(ident: table)
                """).run()
        }
    }
}

/// Collects rows from a streaming query into a table file; the first error stops the writing and is thrown after.
final class RowSink: @unchecked Sendable {
    private let table: String
    private let file: DurableFile
    private let progress: BackupStore.Progress?
    private let encoder = JSONEncoder()
    private let lock = NSLock()
    private var rows = 0
    private var failure: (any Error)?

    init(table: String, file: DurableFile, progress: BackupStore.Progress?) {
        self.table = table
        self.file = file
        self.progress = progress
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .throw
    }

    func write(_ values: () throws -> [BackupValue]) {
        lock.withLock {
            guard failure == nil else { return }
            do {
                var line = try encoder.encode(try values())
                line.append(0x0A)
                try file.append(line)
                rows += 1
                if rows % BackupStore.rowsPerProgress == 0 { progress?(table, rows) }
            } catch {
                failure = error
            }
        }
    }

    func finish() throws -> Int {
        try lock.withLock {
            if let failure { throw failure }
            progress?(table, rows)
            return rows
        }
    }
}
