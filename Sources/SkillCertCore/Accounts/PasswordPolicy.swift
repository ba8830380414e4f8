/// The rules a new password must meet.
public enum PasswordPolicy {
    public static let minimumLength = 10

    /// The problems with `password`, for the field `field`; empty when it is acceptable.
    public static func problems(_ password: String, username: String, field: String = "password") -> [FieldError] {
        var errors: [FieldError] = []
        if password.count < minimumLength {
            errors.append(FieldError(code: "password_too_short", field: field,
                                     zh: "密码至少需要 \(minimumLength) 个字符",
                                     en: "password must be at least \(minimumLength) characters"))
        }
        if password.count > 128 {
            errors.append(FieldError(code: "password_too_long", field: field,
                                     zh: "密码不能超过 128 个字符", en: "password must be at most 128 characters"))
        }
        if !username.isEmpty, password.lowercased().contains(username.lowercased()) {
            errors.append(FieldError(code: "password_contains_username", field: field,
                                     zh: "密码不能包含用户名", en: "password must not contain the username"))
        }
        let classes = [password.contains(where: \.isLetter), password.contains(where: \.isNumber),
                       password.contains(where: { !$0.isLetter && !$0.isNumber })].filter { $0 }.count
        if classes < 2 {
            errors.append(FieldError(code: "password_too_simple", field: field,
                                     zh: "密码须至少包含字母、数字、符号中的两类",
                                     en: "password must mix at least two of letters, digits and symbols"))
        }
        return errors
    }

    /// The problems with a username: 3–32 of a–z, 0–9, `.`, `_`, `-`, starting with a letter.
    public static func usernameProblems(_ username: String, field: String = "username") -> [FieldError] {
        let ok = (3...32).contains(username.count)
            && username.first.map({ $0.isASCII && $0.isLetter }) == true
            && username.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "._-".contains($0)) })
        return ok ? [] : [FieldError(code: "invalid_username", field: field,
                                     zh: "用户名须为 3–32 位小写字母、数字或 . _ -，以字母开头",
                                     en: "username must be 3–32 of a–z, 0–9, '.', '_', '-', starting with a letter")]
    }
}
