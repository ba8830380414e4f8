import Foundation

/// One problem with one input field: a stable code for programs, a field path, and messages for people.
public struct FieldError: Error, Equatable, Sendable {
    /// Stable, machine-readable code such as `invalid_format`.
    public var code: String
    /// The field, as a JSON path or form field name (`sites[1].code`).
    public var field: String
    /// The message in Chinese, for pages.
    public var messageZH: String
    /// The message in English, for the API and the English pages.
    public var messageEN: String

    public init(code: String, field: String, zh: String, en: String) {
        self.code = code
        self.field = field
        self.messageZH = zh
        self.messageEN = en
    }

    public static func required(_ field: String, label: String) -> FieldError {
        FieldError(code: "required", field: field, zh: "“\(label)”不能为空", en: "\(field) is required")
    }

    /// The value holds control characters or bidirectional override marks (see `String.containsHiddenControls`).
    public static func hiddenControls(_ field: String, label: String) -> FieldError {
        FieldError(code: "invalid_characters", field: field, zh: "“\(label)”含有不可见的控制字符，请删除后重新输入",
                   en: "\(field) contains invisible control characters")
    }
}

/// A rejected input with every problem found, not just the first.
public struct ValidationFailure: Error, Sendable {
    public var errors: [FieldError]
    public init(_ errors: [FieldError]) { self.errors = errors }
}

/// Errors of the domain that are not about one input field.
public enum DomainError: Error, Equatable, Sendable {
    /// The thing asked for does not exist.
    case notFound(what: String)
    /// The action conflicts with the current state (a duplicate, a locked record).
    case conflict(code: String, zh: String, en: String)
    /// The actor may not do this.
    case forbidden(code: String, zh: String, en: String)
}

/// Collects field errors while validating a whole input.
public struct FieldValidator: Sendable {
    public private(set) var errors: [FieldError] = []
    public init() {}

    public mutating func add(_ error: FieldError) { errors.append(error) }

    /// Requires a non-blank value; returns it trimmed.
    @discardableResult
    public mutating func require(_ value: String?, field: String, label: String, maxLength: Int = 200) -> String {
        let trimmed = (value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            add(.required(field, label: label))
        } else if trimmed.count > maxLength {
            add(FieldError(code: "too_long", field: field,
                           zh: "“\(label)”不能超过 \(maxLength) 个字符", en: "\(field) must be at most \(maxLength) characters"))
        } else if trimmed.containsHiddenControls {
            add(.hiddenControls(field, label: label))
        }
        return trimmed
    }

    /// Requires exactly `count` ASCII digits.
    public mutating func requireDigits(_ value: String, count: Int, field: String, label: String) {
        guard !value.isEmpty else { return }
        if value.count != count || !value.allSatisfy({ $0.isASCII && $0.isNumber }) {
            add(FieldError(code: "invalid_format", field: field,
                           zh: "“\(label)”应为 \(count) 位数字", en: "\(field) must be \(count) digits"))
        }
    }

    /// Throws a `ValidationFailure` when anything was found.
    public func check() throws {
        if !errors.isEmpty { throw ValidationFailure(errors) }
    }
}

extension FieldError {
    /// A decoding error as a field error naming the JSON/YAML path (`profile.work[0].from`).
    public init(decoding error: DecodingError) {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { out, k in
                if let i = k.intValue { return "\(out)[\(i)]" }
                return out.isEmpty ? k.stringValue : "\(out).\(k.stringValue)"
            }
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let f = path(ctx.codingPath + [key])
            self.init(code: "missing_field", field: f, zh: "缺少字段 \(f)", en: "\(f) is required")
        case .typeMismatch(let type, let ctx):
            let f = path(ctx.codingPath)
            self.init(code: "invalid_type", field: f, zh: "字段 \(f.isEmpty ? "（根）" : f) 的类型不正确",
                      en: "\(f.isEmpty ? "the document" : f) should be \(type)")
        case .valueNotFound(_, let ctx):
            let f = path(ctx.codingPath)
            self.init(code: "invalid_type", field: f, zh: "字段 \(f) 缺少值", en: "\(f) has no value")
        case .dataCorrupted(let ctx):
            let f = path(ctx.codingPath)
            if ctx.codingPath.isEmpty {
                self.init(code: "invalid_json", field: "", zh: "内容不是有效的 JSON", en: "the body is not valid JSON")
            } else {
                self.init(code: "invalid_value", field: f, zh: "字段 \(f) 的值无效：\(ctx.debugDescription)",
                          en: "\(f) is invalid: \(ctx.debugDescription)")
            }
        @unknown default:
            self.init(code: "invalid_body", field: "", zh: "内容无效", en: "invalid content")
        }
    }
}
