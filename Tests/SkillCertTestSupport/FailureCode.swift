import SkillCertCore

/// What a refused action reports, for assertions: the code of a conflict or refusal, `not_found:<what>`, or each
/// invalid field as `code:field`; nil when the work succeeded.
public func failureCode(_ work: () async throws -> Void) async -> String? {
    do { try await work(); return nil } catch let e as DomainError {
        switch e {
        case .conflict(let code, _, _), .forbidden(let code, _, _): return code
        case .notFound(let what): return "not_found:\(what)"
        }
    } catch let e as ValidationFailure {
        return e.errors.map { "\($0.code):\($0.field)" }.joined(separator: ",")
    } catch { return "\(error)" }
}
