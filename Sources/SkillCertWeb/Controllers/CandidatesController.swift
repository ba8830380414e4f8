import Fluent
import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// Candidate self-registration, the candidate's own profile, and the staff's candidate search.
enum CandidatesController {
    static let staffReaders: Set<Role> = [.administrator, .examAffairs]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "register", access: .everyone, use: registerPage)
        r.endpoint(.POST, "register/code", access: .everyone, use: requestCode)
        r.endpoint(.POST, "register", access: .everyone, use: registerSubmit)
        r.endpoint(.GET, "me/profile", access: .anyOf([.candidate]), use: profilePage)
        r.endpoint(.POST, "me/profile", access: .anyOf([.candidate]), use: profileSave)
        r.endpoint(.POST, "me/photo", access: .anyOf([.candidate]), body: .collect(maxSize: "5mb"), use: photoSave)
        r.endpoint(.GET, "me/photo", access: .anyOf([.candidate]), use: photo)
        r.endpoint(.GET, "candidates", access: .anyOf(staffReaders), use: list)
        r.endpoint(.POST, "candidates", access: .anyOf(staffReaders), use: list)
    }

    struct RegisterForm: Content {
        var contact: String?
        var code: String?
        var fullName: String?
        var password: String?
        var confirmPassword: String?
        var idNumber: String?
    }

    @Sendable static func registerPage(req: Request) async throws -> Response {
        renderRegister(req, form: RegisterForm(), errors: [], codeSent: false)
    }

    static func renderRegister(_ req: Request, form f: RegisterForm, errors: [FieldError], codeSent: Bool,
                               status: HTTPResponseStatus = .ok) -> Response {
        let content = """
            <div class="login">
            \(H.errorSummary(errors, req: req))
            \(codeSent ? "<div class=\"alert alert-ok\" id=\"code-sent\">\(req.tr("验证码已发送，10 分钟内有效。", "A code has been sent; it is valid for 10 minutes."))</div>" : "")
            <form method="post" action="/register/code">\(H.csrf(req))
            \(H.field(req.tr("手机号码或电子邮箱", "Mobile number or e-mail"), name: "contact", value: f.contact ?? "", required: true, errors: errors, req: req, attrs: "autocomplete=\"username\""))
            <div class="actions"><button type="submit" class="secondary" id="send-code">\(req.tr("获取验证码", "Send a code"))</button></div></form>
            <form method="post" action="/register">\(H.csrf(req))
            <input type="hidden" name="contact" value="\(esc(f.contact ?? ""))">
            \(H.field(req.tr("验证码", "Code"), name: "code", required: true, errors: errors, req: req, attrs: "inputmode=\"numeric\" autocomplete=\"one-time-code\""))
            \(H.field(req.tr("姓名", "Full name"), name: "fullName", value: f.fullName ?? "", required: true, errors: errors, req: req))
            \(H.field(req.tr("密码", "Password"), name: "password", type: "password", required: true, errors: errors, req: req, attrs: "autocomplete=\"new-password\""))
            \(H.field(req.tr("确认密码", "Confirm password"), name: "confirmPassword", type: "password", required: true, errors: errors, req: req, attrs: "autocomplete=\"new-password\""))
            \(H.field(req.tr("证件号码（仅单位已为您集体报名时填写，用于认领账号）", "Document number (only to claim an account your employer registered)"), name: "idNumber", value: f.idNumber ?? "", errors: errors, req: req, attrs: "autocomplete=\"off\""))
            <div class="actions"><button type="submit" id="register">\(req.tr("注册", "Register"))</button></div></form>
            </div>
            """
        let response = Layout.page(req, title: req.tr("考生注册", "Candidate registration"), content)
        response.status = status
        return response
    }

    /// Registration shares the sign-in throttle: too many codes or wrong codes from one address wait.
    static func throttled(_ req: Request, _ f: RegisterForm) async -> Response? {
        guard let wait = await req.application.addressThrottle.retryAfter(req.clientAddress, now: req.time.now()) else { return nil }
        return renderRegister(req, form: f, errors: [FieldError(code: "too_many_attempts", field: "contact",
                                                                zh: "操作过于频繁，请 \(wait) 秒后再试", en: "too many attempts; wait \(wait) seconds")],
                              codeSent: false, status: .tooManyRequests)
    }

    @Sendable static func requestCode(req: Request) async throws -> Response {
        let f = try req.content.decode(RegisterForm.self)
        if let busy = await throttled(req, f) { return busy }
        await req.application.addressThrottle.recordFailure(req.clientAddress, now: req.time.now())
        do {
            try await CandidateAccounts.requestCode(for: f.contact ?? "", sealer: try req.sealer(), sender: req.application.messageSender,
                                                    on: req.db, time: req.time)
            return renderRegister(req, form: f, errors: [], codeSent: true)
        } catch let failure as ValidationFailure {
            return renderRegister(req, form: f, errors: failure.errors, codeSent: false, status: .unprocessableEntity)
        } catch let e as DomainError {
            guard case .conflict(let code, let zh, let en) = e else { throw e }
            return renderRegister(req, form: f, errors: [FieldError(code: code, field: "contact", zh: zh, en: en)], codeSent: false,
                                  status: .tooManyRequests)
        }
    }

    @Sendable static func registerSubmit(req: Request) async throws -> Response {
        let f = try req.content.decode(RegisterForm.self)
        guard f.password == f.confirmPassword else {
            return renderRegister(req, form: f, errors: [FieldError(code: "mismatch", field: "confirmPassword", zh: "两次输入的密码不一致",
                                                                    en: "the passwords differ")], codeSent: true, status: .unprocessableEntity)
        }
        if let busy = await throttled(req, f) { return busy }
        do {
            let user = try await CandidateAccounts.register(contact: f.contact ?? "", code: f.code ?? "", fullName: f.fullName ?? "",
                                                            password: f.password ?? "", idNumber: f.idNumber ?? "",
                                                            hasher: req.application.passwordHasher,
                                                            sealer: try req.sealer(), on: req.db, time: req.time)
            let session = try await Accounts.openSession(for: user, kind: .web, lifetime: try await AuthController.sessionLifetime(req),
                                                         remoteAddress: req.clientAddress, on: req.db, time: req.time)
            let response = req.redirect(to: "/me/profile?done=\(req.tr("注册成功，请完善个人信息", "Registered; complete your profile").urlQueryEncoded)")
            response.cookies[SessionCookie.name] = HTTPCookies.Value(string: session.token, expires: session.expiresAt, path: "/",
                                                                      isSecure: req.usesTLS, isHTTPOnly: true, sameSite: .lax)
            return response
        } catch let failure as ValidationFailure {
            if failure.errors.contains(where: { $0.code == "wrong_code" }) {
                await req.application.addressThrottle.recordFailure(req.clientAddress, now: req.time.now())
            }
            return renderRegister(req, form: f, errors: failure.errors, codeSent: true, status: .unprocessableEntity)
        }
    }

    struct ProfileForm: Content {
        var fullName: String?
        var idType: String?
        var idNumber: String?
        var employer: String?
    }

    @Sendable static func profilePage(req: Request) async throws -> Response {
        let p = try await ApplicationsController.ownProfile(req)
        let background = try p.background.map { try JSONDecoder().decode(RawApplicantProfile.self, from: Data($0.utf8)) }
            ?? { var r = RawApplicantProfile(); r.intendsToWork = true; return r }()
        return renderProfile(req, profile: p, form: ProfileForm(fullName: p.fullName, idType: p.idType ?? "resident-id", idNumber: "",
                                                                employer: p.employer),
                             background: EligibilityController.CheckForm(raw: background), errors: [])
    }

    static func renderProfile(_ req: Request, profile p: CandidateProfile, form f: ProfileForm, background: EligibilityController.CheckForm,
                              errors: [FieldError], status: HTTPResponseStatus = .ok) -> Response {
        let types = CandidateAccounts.idTypes.map { ($0.key, $0.zh) }
        let derived = p.birthDate.map { "<p class=\"muted\">\(req.tr("出生日期", "Born")) \($0) · \(p.sex == "male" ? req.tr("男", "male") : req.tr("女", "female"))（\(req.tr("由身份证号码得出", "from the ID number"))）</p>" } ?? ""
        let photo = p.photoKey == nil
            ? "<p class=\"muted\" id=\"no-photo\">\(req.tr("尚未上传照片", "No photo yet"))</p>"
            : "<img id=\"photo\" src=\"/me/photo\" alt=\"\(req.tr("照片", "Photo"))\" width=\"100\" height=\"140\">"
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p>\(req.tr("登录账号", "Sign-in")): \(esc(p.phoneMasked ?? p.email ?? ""))\(p.idNumberMasked.map { " · \(req.tr("证件号码", "ID")) <span id=\"masked-id\">\(esc($0))</span>" } ?? "")</p>\(derived)
            <section class="photo"><h2>\(req.tr("照片", "Photo"))</h2>\(photo)
            <form method="post" action="/me/photo" enctype="multipart/form-data">\(H.csrf(req))
            <div class="field"><label for="f-photo">\(req.tr("1 寸白底彩色证件照（JPEG 或 PNG，至少 295×413 像素，宽高比 25:35）", "1-inch colour photo on white (JPEG or PNG, at least 295×413 px, 25:35)"))</label><input id="f-photo" type="file" name="photo" accept=".jpg,.jpeg,.png" required>\(H.fieldErrors(errors, "photo", req))</div>
            <div class="actions"><button type="submit" class="secondary" id="upload-photo">\(req.tr("上传照片", "Upload photo"))</button></div></form></section>
            <form method="post" action="/me/profile">\(H.csrf(req))
            <h2>\(req.tr("基本信息", "Identity"))</h2>
            \(H.field(req.tr("姓名（与证件一致）", "Full name (as on the ID)"), name: "fullName", value: f.fullName ?? "", required: true, errors: errors, req: req))
            \(H.select(req.tr("证件类型", "ID document"), name: "idType", options: types, selected: f.idType ?? "resident-id", errors: errors, req: req))
            \(H.field(req.tr("证件号码\(p.idNumberMasked == nil ? "" : "（重新填写才会修改）")", "Document number"), name: "idNumber", value: f.idNumber ?? "", required: p.idNumberMasked == nil, errors: errors, req: req, attrs: "autocomplete=\"off\""))
            \(H.field(req.tr("工作单位", "Employer"), name: "employer", value: f.employer ?? "", required: true, errors: errors, req: req))
            \(EligibilityController.fillInForm(req, background, datesFromProfile: true))
            <div class="actions"><button type="submit" id="save-profile">\(req.tr("保存", "Save"))</button></div></form>
            <p class="muted">\(req.tr("证件号码和手机号码加密保存，列表中只显示部分号码。", "ID and phone numbers are stored encrypted and shown masked."))</p>
            """
        let response = Layout.page(req, title: req.tr("个人信息", "My profile"), content)
        response.status = status
        return response
    }

    @Sendable static func profileSave(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let f = try req.content.decode(ProfileForm.self)
        let background = try req.content.decode(EligibilityController.CheckForm.self)
        let p = try await ApplicationsController.ownProfile(req)
        var number = (f.idNumber ?? "").trimmingCharacters(in: .whitespaces)
        if number.isEmpty, let cipher = p.idNumberCipher {
            // Left blank: keep the number on file.
            number = String(decoding: try req.sealer().open(cipher, context: "candidate-id:\(user.id.uuidString)"), as: UTF8.self)
        }
        do {
            try await CandidateAccounts.updateProfile(userID: user.id, .init(fullName: f.fullName ?? "", idType: f.idType ?? "",
                                                                            idNumber: number, employer: f.employer ?? "",
                                                                            background: background.filledProfile),
                                                      sealer: try req.sealer(), on: req.db, time: req.time)
        } catch let failure as ValidationFailure {
            return renderProfile(req, profile: p, form: f, background: background, errors: failure.errors, status: .unprocessableEntity)
        }
        return req.redirect(to: "/me/profile?done=\(req.tr("已保存", "Saved").urlQueryEncoded)")
    }

    struct PhotoForm: Content {
        var photo: File?
    }

    /// Uploads the candidate's photo after the checks certificates need.
    @Sendable static func photoSave(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let form = try req.content.decode(PhotoForm.self)
        do {
            try await CandidateAccounts.setPhoto(userID: user.id, data: form.photo.map { Data(buffer: $0.data) } ?? Data(),
                                                 files: req.application.fileStore, on: req.db, time: req.time)
        } catch let failure as ValidationFailure {
            let p = try await ApplicationsController.ownProfile(req)
            let background = try p.background.map { try JSONDecoder().decode(RawApplicantProfile.self, from: Data($0.utf8)) } ?? RawApplicantProfile()
            return renderProfile(req, profile: p, form: ProfileForm(fullName: p.fullName, idType: p.idType ?? "resident-id", idNumber: "",
                                                                    employer: p.employer),
                                 background: EligibilityController.CheckForm(raw: background), errors: failure.errors,
                                 status: .unprocessableEntity)
        }
        return req.redirect(to: "/me/profile?done=\(req.tr("照片已上传", "Photo uploaded").urlQueryEncoded)")
    }

    /// The candidate's own photo.
    @Sendable static func photo(req: Request) async throws -> Response {
        let p = try await ApplicationsController.ownProfile(req)
        guard let key = p.photoKey, let data = try await req.application.fileStore.get(key) else { throw DomainError.notFound(what: "photo") }
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.replaceOrAdd(name: .contentType, value: p.photoMediaType ?? "image/jpeg")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    /// Staff search: exact document number (via its keyed hash) or name; numbers are shown masked. The search is a
    /// POST so that a full ID number never appears in a URL, a log line or the browser history.
    @Sendable static func list(req: Request) async throws -> Response {
        let q = req.method == .POST ? ((try? req.content.get(String.self, at: "q")) ?? "") : ""
        let rows = try await CandidateAccounts.search(q, sealer: try req.sealer(), on: req.db)
        let body = rows.map { p in
            "<tr><td>\(esc(p.fullName))</td><td class=\"mono\">\(esc(p.idNumberMasked ?? "—"))</td><td>\(esc(p.phoneMasked ?? p.email ?? ""))</td><td>\(esc(p.employer))</td><td>\(H.time(p.updatedAt))</td></tr>"
        }.joined()
        let content = """
            <form class="filters" method="post" action="/candidates">\(H.csrf(req))\(H.field(req.tr("姓名或完整证件号码", "Name or full document number"), name: "q", value: q, req: req))<button type="submit">\(req.tr("查找", "Search"))</button></form>
            <table><thead><tr><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("证件号码", "ID"))</th><th>\(req.tr("联系方式", "Contact"))</th><th>\(req.tr("工作单位", "Employer"))</th><th>\(req.tr("更新时间", "Updated"))</th></tr></thead>
            <tbody>\(body.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(req.tr("没有找到考生", "No candidates found"))</td></tr>" : body)</tbody></table>
            """
        return Layout.page(req, title: req.tr("考生", "Candidates"), active: "/candidates", content)
    }
}
