/// The certification body (评价机构) that runs this deployment: one per installation.
public struct CertificationBody: Sendable, Equatable, Codable {
    /// `Y` 用人单位 (employer) or `S` 社会培训评价组织 (training-evaluation organisation).
    public enum BodyType: String, Codable, Sendable, CaseIterable {
        case employer = "Y"
        case trainingOrganisation = "S"

        public var nameZH: String { self == .employer ? "用人单位" : "社会培训评价组织" }
        public var nameEN: String { self == .employer ? "Employer" : "Training-evaluation organisation" }
    }

    /// A place where the body certifies, with the 6-digit code the province assigned.
    public struct Site: Sendable, Equatable, Codable {
        public var code: String
        public var name: String
        public var address: String
        public init(code: String, name: String, address: String) {
            self.code = code
            self.name = name
            self.address = address
        }
    }

    public var type: BodyType
    /// 4-digit body code (`0000` for provincially registered bodies).
    public var code: String
    /// The name as registered.
    public var name: String
    /// GB/T 2260 province code, two digits.
    public var provinceCode: String
    public var sites: [Site]

    public init(type: BodyType, code: String, name: String, provinceCode: String, sites: [Site]) {
        self.type = type
        self.code = code
        self.name = name
        self.provinceCode = provinceCode
        self.sites = sites
    }

    /// Every problem with this body's data, field by field; `provinces` is the set of known province codes.
    public func problems(knownProvinces provinces: Set<String>) -> [FieldError] {
        var v = FieldValidator()
        let name = v.require(self.name, field: "name", label: "机构名称")
        _ = name
        v.require(code, field: "code", label: "机构代码", maxLength: 4)
        v.requireDigits(code, count: 4, field: "code", label: "机构代码")
        v.require(provinceCode, field: "provinceCode", label: "所在省份")
        if !provinceCode.isEmpty, !provinces.contains(provinceCode) {
            v.add(FieldError(code: "unknown_province", field: "provinceCode",
                             zh: "省份代码 \(provinceCode) 不在 GB/T 2260 省级代码中",
                             en: "provinceCode \(provinceCode) is not a GB/T 2260 province code"))
        }
        if sites.isEmpty {
            v.add(FieldError(code: "required", field: "sites", zh: "至少需要一个认定站点", en: "at least one site is required"))
        }
        var seen = Set<String>()
        for (i, site) in sites.enumerated() {
            let f = "sites[\(i)]"
            v.require(site.code, field: "\(f).code", label: "站点 \(i + 1) 的站点代码", maxLength: 6)
            v.requireDigits(site.code, count: 6, field: "\(f).code", label: "站点 \(i + 1) 的站点代码")
            v.require(site.name, field: "\(f).name", label: "站点 \(i + 1) 的名称")
            v.require(site.address, field: "\(f).address", label: "站点 \(i + 1) 的地址", maxLength: 300)
            if !seen.insert(site.code).inserted {
                v.add(FieldError(code: "duplicate", field: "\(f).code",
                                 zh: "站点代码 \(site.code) 重复", en: "site code \(site.code) appears twice"))
            }
        }
        return v.errors
    }
}
