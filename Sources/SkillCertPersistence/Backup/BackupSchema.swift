import FluentKit
import FluentSQLiteDriver
import Foundation
import SQLKit

/// The live schema as the engine reports it (sqlite_master / information_schema), so a backup covers every table the
/// migrations create, `_fluent_migrations` included, without a list to keep up to date.
struct BackupSchema: Sendable {
    /// How a column's values are read and written.
    enum Kind: Sendable {
        case integer, real, bool, uuid, timestamp, timestampWithoutZone, bytes, text
        /// PostgreSQL only: another type, read as text and cast back on writing.
        case other(String)
    }

    struct Column: Sendable {
        var name: String
        var kind: Kind
    }

    struct Table: Sendable {
        var name: String
        var columns: [Column]
    }

    let isPostgres: Bool
    /// In an order that inserts parents before children (then by name, so the order is stable).
    let tables: [Table]

    subscript(name: String) -> Table? { tables.first { $0.name == name } }

    static func read(_ sql: any SQLDatabase) async throws -> BackupSchema {
        let isPostgres = sql.dialect.name == "postgresql"
        var names: [String]
        var edges: [(child: String, parent: String)] = []
        var tables: [String: Table] = [:]
        if isPostgres {
            names = try await sql.raw("""
                SELECT table_name::text AS name FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name
                """).all().map { try $0.decode(column: "name", as: String.self) }
            for row in try await sql.raw("""
                SELECT src.relname::text AS child, dst.relname::text AS parent FROM pg_constraint k
                JOIN pg_class src ON src.oid = k.conrelid JOIN pg_class dst ON dst.oid = k.confrelid
                JOIN pg_namespace n ON n.oid = src.relnamespace
                WHERE k.contype = 'f' AND n.nspname = current_schema()
                """).all() {
                edges.append((try row.decode(column: "child", as: String.self), try row.decode(column: "parent", as: String.self)))
            }
            for row in try await sql.raw("""
                SELECT table_name::text AS t, column_name::text AS c, data_type::text AS type, udt_name::text AS udt
                FROM information_schema.columns WHERE table_schema = current_schema()
                ORDER BY table_name, ordinal_position
                """).all() {
                let table = try row.decode(column: "t", as: String.self)
                let column = Column(name: try row.decode(column: "c", as: String.self),
                                    kind: postgresKind(try row.decode(column: "type", as: String.self),
                                                       udt: try row.decode(column: "udt", as: String.self)))
                tables[table, default: Table(name: table, columns: [])].columns.append(column)
            }
        } else {
            names = try await sql.raw("""
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name
                """).all().map { try $0.decode(column: "name", as: String.self) }
            for name in names {
                let columns = try await sql.raw("SELECT name, type FROM pragma_table_info(\(bind: name)) ORDER BY cid").all()
                tables[name] = Table(name: name, columns: try columns.map {
                    Column(name: try $0.decode(column: "name", as: String.self), kind: sqliteKind(try $0.decode(column: "type", as: String.self)))
                })
                for fk in try await sql.raw("SELECT \"table\" AS parent FROM pragma_foreign_key_list(\(bind: name))").all() {
                    edges.append((name, try fk.decode(column: "parent", as: String.self)))
                }
            }
        }
        names = order(names, edges: edges)
        return BackupSchema(isPostgres: isPostgres, tables: names.compactMap { tables[$0] })
    }

    /// Parents before children; a table's references to itself are left to the row order.
    static func order(_ names: [String], edges: [(child: String, parent: String)]) -> [String] {
        var parents: [String: Set<String>] = [:]
        for e in edges where e.child != e.parent && names.contains(e.parent) { parents[e.child, default: []].insert(e.parent) }
        var done: [String] = []
        var placed = Set<String>()
        var remaining = names
        while !remaining.isEmpty {
            let ready = remaining.filter { parents[$0, default: []].isSubset(of: placed) }
            // A cycle between tables cannot be ordered: place the rest by name (SQLite defers the checks anyway).
            let next = ready.isEmpty ? remaining : ready
            done += next
            placed.formUnion(next)
            remaining.removeAll { placed.contains($0) }
        }
        return done
    }

    static func postgresKind(_ type: String, udt: String) -> Kind {
        switch type {
        case "smallint", "integer", "bigint": .integer
        case "real", "double precision": .real
        case "boolean": .bool
        case "uuid": .uuid
        case "bytea": .bytes
        case "timestamp with time zone": .timestamp
        case "timestamp without time zone": .timestampWithoutZone
        case "text", "character varying", "character": .text
        default: .other(udt)
        }
    }

    /// SQLite stores any value in any column; the declared type only says what Fluent put there.
    static func sqliteKind(_ declared: String) -> Kind {
        let t = declared.uppercased()
        if t.contains("INT") { return .integer }
        if t.contains("REAL") || t.contains("DOUB") || t.contains("FLOA") { return .real }
        if t.contains("BLOB") { return .bytes }
        if t.contains("TIMESTAMP") { return .timestamp }
        return .text
    }
}

/// Reads SQLite's own storage class of a value (integer, real, text, blob), which the declared type does not fix.
struct SQLiteStorage: Decodable, SQLiteDataConvertible {
    let data: SQLiteData

    init?(sqliteData: SQLiteData) { data = sqliteData }

    var sqliteData: SQLiteData? { data }

    init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "read through SQLiteDataDecoder only"))
    }

    var value: BackupValue {
        switch data {
        case .integer(let v): .int(Int64(v))
        case .float(let v): .real(v)
        case .text(let v): .text(v)
        case .blob(let v): .blob(Data(buffer: v))
        case .null: .null
        }
    }
}

extension BackupValue {
    /// As SQLite stores it.
    var sqlite: SQLiteData {
        switch self {
        case .null: .null
        case .int(let v): .integer(Int(v))
        case .real(let v): .float(v)
        case .text(let v): .text(v)
        case .blob(let v): .blob(ByteBuffer(data: v))
        }
    }

    /// The expression that stores this value in a PostgreSQL column of the given kind; nil when it cannot.
    func postgres(_ kind: BackupSchema.Kind) -> (any SQLExpression)? {
        switch (kind, self) {
        case (_, .null): return SQLLiteral.null
        case (.integer, .int(let v)): return SQLBind(v)
        case (.integer, .real(let v)) where v.rounded() == v: return SQLBind(Int64(v))
        case (.real, .real(let v)): return SQLBind(v)
        case (.real, .int(let v)): return SQLBind(Double(v))
        case (.bool, .int(let v)): return SQLBind(v != 0)
        case (.bool, .text(let v)): return SQLBind(["t", "true", "1"].contains(v.lowercased()))
        case (.uuid, .text(let v)): return UUID(uuidString: v).map { SQLBind($0) }
        case (.uuid, .blob(let v)) where v.count == 16:
            return SQLBind(v.withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) })
        // to_timestamp rounds to whole microseconds, which is what PostgreSQL kept.
        case (.timestamp, .real(let v)): return SQLFunction("to_timestamp", args: SQLBind(v))
        case (.timestamp, .int(let v)): return SQLFunction("to_timestamp", args: SQLBind(Double(v)))
        case (.timestampWithoutZone, .real(let v)): return SQLQueryString("(to_timestamp(\(bind: v)) AT TIME ZONE 'UTC')")
        case (.timestampWithoutZone, .int(let v)): return SQLQueryString("(to_timestamp(\(bind: Double(v))) AT TIME ZONE 'UTC')")
        case (.bytes, .blob(let v)): return SQLBind(v)
        case (.text, .text(let v)): return SQLBind(v)
        case (.text, .int(let v)): return SQLBind(String(v))
        case (.text, .real(let v)): return SQLBind(String(v))
        case (.other(let type), .text(let v)): return SQLQueryString("CAST(\(bind: v) AS \(ident: type))")
        default: return nil
        }
    }
}

extension BackupSchema.Column {
    /// How a PostgreSQL column is selected so that it decodes into a `BackupValue` of the portable shape.
    var postgresSelect: any SQLExpression {
        switch kind {
        case .timestamp, .timestampWithoutZone:
            // Seconds since 1970, as Fluent's SQLite driver stores dates; exact to PostgreSQL's microseconds.
            let zoned = kind.isZoned ? SQLIdentifier(name) as any SQLExpression : SQLQueryString("(\(ident: name) AT TIME ZONE 'UTC')")
            return SQLQueryString("EXTRACT(EPOCH FROM \(zoned))::float8 AS \(ident: name)")
        case .bytes: return SQLQueryString("encode(\(ident: name), 'base64') AS \(ident: name)")
        case .other: return SQLQueryString("\(ident: name)::text AS \(ident: name)")
        default: return SQLIdentifier(name)
        }
    }

    /// Reads this column of a PostgreSQL row selected with `postgresSelect`.
    func postgresValue(_ row: any SQLRow) throws -> BackupValue {
        switch kind {
        case .integer: return try row.decode(column: name, as: Int64?.self).map { .int($0) } ?? .null
        case .real, .timestamp, .timestampWithoutZone: return try row.decode(column: name, as: Double?.self).map { .real($0) } ?? .null
        case .bool: return try row.decode(column: name, as: Bool?.self).map { .int($0 ? 1 : 0) } ?? .null
        case .uuid: return try row.decode(column: name, as: UUID?.self).map { .text($0.uuidString) } ?? .null
        case .bytes:
            return try row.decode(column: name, as: String?.self)
                .map { .blob(Data(base64Encoded: $0, options: .ignoreUnknownCharacters) ?? Data()) } ?? .null
        case .text, .other: return try row.decode(column: name, as: String?.self).map { .text($0) } ?? .null
        }
    }

    /// PostgreSQL cannot sort or compare json and xml values.
    var sortable: Bool {
        if case .other(let type) = kind { return !["json", "xml"].contains(type) }
        return true
    }
}

extension BackupSchema.Kind {
    var isZoned: Bool { if case .timestampWithoutZone = self { false } else { true } }
}
