import Foundation
import SkillCertCore
import Vapor

/// Builds the OpenAPI 3.1 document from the routes' own declarations, so the document and the routes cannot drift:
/// every route under `/api/` carries an `APIDoc`, and the test suite fails for one that does not.
enum OpenAPIDocument {
    static func json(for routes: [Route]) throws -> Data {
        try JSONSerialization.data(withJSONObject: document(for: routes), options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    }

    static func path(of route: Route) -> String {
        "/" + route.path.map { c -> String in
            if case .parameter(let name) = c { return "{\(name)}" }
            return c.description
        }.joined(separator: "/")
    }

    static func document(for routes: [Route]) -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for route in routes {
            guard let doc = route.apiDoc else { continue }
            var op: [String: Any] = [
                "summary": doc.summary,
                "tags": [doc.tag],
                "operationId": route.method.rawValue.lowercased() + path(of: route)
                    .split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(),
            ]
            var parameters: [[String: Any]] = route.path.compactMap { c in
                guard case .parameter(let name) = c else { return nil }
                return ["name": name, "in": "path", "required": true, "schema": ["type": "string"]]
            }
            for q in doc.query {
                var schema: [String: Any] = ["type": q.type]
                if let f = q.format { schema["format"] = f }
                if let m = q.minimum { schema["minimum"] = m }
                if let m = q.maximum { schema["maximum"] = m }
                parameters.append(["name": q.name, "in": "query", "required": q.required, "description": q.description,
                                   "schema": schema])
            }
            if !parameters.isEmpty { op["parameters"] = parameters }
            if let request = doc.requestSchema {
                op["requestBody"] = ["required": true,
                                     "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(request)"]]]]
            } else if !doc.requestMediaTypes.isEmpty {
                op["requestBody"] = ["required": true, "content": Dictionary(uniqueKeysWithValues: doc.requestMediaTypes.map {
                    ($0, ["schema": ["type": "string", "contentMediaType": $0]] as [String: Any])
                })]
            }
            var responses: [String: Any] = [:]
            var success: [String: Any] = ["description": "Success"]
            if let schema = doc.responseSchema {
                success["content"] = [doc.responseMediaType: ["schema": ["$ref": "#/components/schemas/\(schema)"]]]
            } else if doc.successStatus != 204 {
                success["content"] = [doc.responseMediaType: ["schema": ["type": "object"]]]
            }
            responses[String(doc.successStatus)] = success
            var errorStatuses = Set(doc.errors)
            switch route.declaredAccess {
            case .signedIn?: errorStatuses.insert(401)
            case .anyOf?: errorStatuses.formUnion([401, 403])
            default: break
            }
            for status in errorStatuses.sorted() {
                responses[String(status)] = ["description": HTTPResponseStatus(statusCode: status).reasonPhrase,
                                             "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
            }
            op["responses"] = responses
            switch route.declaredAccess {
            case .everyone?, nil: op["security"] = [[String: Any]]()
            case .signedIn?: op["security"] = [["bearerAuth": [String]()]]
            case .examToken?: op["security"] = [["examToken": [String]()]]
            case .anyOf(let roles)?:
                op["security"] = [["bearerAuth": [String]()]]
                op["x-roles"] = roles.sorted().map(\.rawValue)
            }
            paths[path(of: route), default: [:]][route.method.rawValue.lowercased()] = op
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "SkillCert API", "version": "1.0.0",
                     "description": "技能等级认定管理平台 JSON API. Errors are {\"error\":{\"code\",\"message\",\"field\",\"details\"}}."],
            "servers": [["url": "/"]],
            "paths": paths,
            "components": ["schemas": schemas,
                           "securitySchemes": ["bearerAuth": ["type": "http", "scheme": "bearer",
                                                              "description": "token from POST /api/v1/auth/login"],
                                               "examToken": ["type": "http", "scheme": "bearer",
                                                             "description": "exam token from POST /api/v1/exam/login"]]],
        ]
    }

    static func object(_ properties: [String: Any], required: [String]) -> [String: Any] {
        ["type": "object", "properties": properties, "required": required, "additionalProperties": false]
    }

    static var string: [String: Any] { ["type": "string"] }
    static var nullableString: [String: Any] { ["type": ["string", "null"]] }
    static var integer: [String: Any] { ["type": "integer"] }
    static var number: [String: Any] { ["type": "number"] }
    static var uuid: [String: Any] { ["type": "string", "format": "uuid"] }
    static var dateTime: [String: Any] { ["type": "string", "format": "date-time"] }
    static var date: [String: Any] { ["type": "string", "format": "date"] }
    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    static func array(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }
    static var relation: [String: Any] { ["type": "string", "enum": ["same", "related", "other"]] }
    static var roleNames: [String: Any] { ["type": "string", "enum": Role.allCases.map(\.rawValue)] }

    static var schemas: [String: Any] {
        let detail = object(["code": string, "message": string, "field": nullableString, "row": integer, "column": string],
                            required: ["code", "message"])
        return [
            "Error": object(["error": object(["code": string, "message": string, "field": nullableString,
                                              "details": array(detail)], required: ["code", "message", "details"])],
                            required: ["error"]),
            "LoginRequest": object(["username": string, "password": string], required: ["username", "password"]),
            "LoginResponse": object(["token": string, "tokenType": ["type": "string", "enum": ["Bearer"]],
                                     "expiresAt": dateTime, "user": ref("User")],
                                    required: ["token", "tokenType", "expiresAt", "user"]),
            "User": object(["id": ["type": "string", "format": "uuid"], "username": string, "displayName": string,
                            "roles": array(roleNames), "isActive": ["type": "boolean"], "locked": ["type": "boolean"],
                            "lastLoginAt": dateTime, "createdAt": dateTime],
                           required: ["id", "username", "displayName", "roles", "isActive", "locked"]),
            "UserCreateRequest": object(["username": string, "displayName": string, "password": string,
                                         "roles": array(roleNames)],
                                        required: ["username", "displayName", "password", "roles"]),
            "UserUpdateRequest": object(["displayName": string, "isActive": ["type": "boolean"],
                                         "roles": array(roleNames), "reason": nullableString],
                                        required: ["displayName", "isActive", "roles"]),
            "UserPage": object(["items": array(ref("User")), "total": integer, "page": integer, "perPage": integer],
                               required: ["items", "total", "page", "perPage"]),
            "Site": object(["code": ["type": "string", "pattern": "^\\d{6}$"], "name": string, "address": string],
                           required: ["code", "name", "address"]),
            "Body": object(["type": ["type": "string", "enum": ["Y", "S"]], "code": string, "name": string,
                            "provinceCode": string, "sites": array(ref("Site"))],
                           required: ["type", "code", "name", "provinceCode", "sites"]),
            "BodyUpdateRequest": object(["type": ["type": "string", "enum": ["Y", "S"]],
                                         "code": ["type": "string", "pattern": "^\\d{4}$"], "name": string,
                                         "provinceCode": string, "sites": array(ref("Site")), "reason": nullableString],
                                        required: ["type", "code", "name", "provinceCode", "sites"]),
            "Setting": object(["key": string, "value": integer, "defaultValue": integer, "minimum": integer,
                               "maximum": integer, "label": string],
                              required: ["key", "value", "defaultValue", "minimum", "maximum", "label"]),
            "SettingList": array(ref("Setting")),
            "SettingUpdateRequest": object(["value": integer, "reason": nullableString], required: ["value"]),
            "CalendarDay": object(["date": date, "kind": ["type": "string", "enum": ["holiday", "workday"]], "name": string],
                                  required: ["date", "kind", "name"]),
            "CalendarYear": object(["year": integer, "days": array(ref("CalendarDay"))], required: ["year", "days"]),
            "WorkingDays": object(["from": date, "to": date, "workingDays": integer, "addedWorkingDays": integer],
                                  required: ["from", "to"]),
            "AuditEntry": object(["sequence": integer, "occurredAt": string, "actorId": nullableString,
                                  "actorName": string, "action": string, "targetType": string,
                                  "targetId": nullableString, "reason": nullableString,
                                  "beforeDigest": nullableString, "afterDigest": nullableString, "details": string,
                                  "previousHash": string, "hash": string],
                                 required: ["sequence", "occurredAt", "actorName", "action", "targetType", "details",
                                            "previousHash", "hash"]),
            "AuditPage": object(["items": array(ref("AuditEntry")), "total": integer, "page": integer,
                                 "perPage": integer], required: ["items", "total", "page", "perPage"]),
            "ApplicantProfile": ["type": "object", "additionalProperties": false, "properties": [
                "asOf": date, "birthDate": ["type": ["string", "null"], "format": "date"],
                "apprenticeshipCompleted": ["type": "boolean"], "intendsToWork": ["type": "boolean"],
                "work": array(object(["relation": relation, "from": date, "to": ["type": ["string", "null"], "format": "date"]],
                                     required: ["relation", "from"])),
                "certificates": array(object(["kind": ["type": "string", "enum": ["skill-level", "qualification"]],
                                              "relation": relation, "level": integer, "issuedOn": date,
                                              "number": nullableString], required: ["relation", "level", "issuedOn"])),
                "education": array(object(["type": ["type": "string", "enum": SchoolType.allCases.map(\.rawValue)],
                                           "majorRelation": relation,
                                           "status": ["type": "string", "enum": ["graduated", "final-year", "enrolled"]],
                                           "assessed": ["type": "boolean"],
                                           "graduatedOn": ["type": ["string", "null"], "format": "date"]],
                                          required: ["type", "majorRelation", "status"])),
                "titles": array(object(["grade": ["type": "string", "enum": ["junior", "intermediate", "senior"]],
                                        "relation": relation, "obtainedOn": date], required: ["grade", "relation", "obtainedOn"])),
            ]],
            "EligibilityCheckRequest": object(["occupationCode": string, "edition": string, "level": integer,
                                               "profile": ref("ApplicantProfile")],
                                              required: ["occupationCode", "edition", "level", "profile"]),
            "EligibilityDecision": object([
                "eligible": ["type": "boolean"], "matchedAlternative": ["type": ["integer", "null"]],
                "explanation": string,
                "alternatives": array(object(["index": integer, "description": string, "satisfied": ["type": "boolean"],
                                              "unmet": array(object(["condition": string, "required": string, "actual": string],
                                                                    required: ["condition", "required", "actual"]))],
                                             required: ["index", "description", "satisfied", "unmet"])),
            ], required: ["eligible", "matchedAlternative", "alternatives", "explanation"]),
            "StandardList": array(object(["id": ["type": "string", "format": "uuid"], "occupationCode": string,
                                          "occupationName": string, "classificationEdition": string, "edition": string,
                                          "documentNumber": string,
                                          "status": ["type": "string", "enum": ["draft", "in-use", "superseded"]],
                                          "levels": array(integer)],
                                         required: ["id", "occupationCode", "occupationName", "classificationEdition",
                                                    "edition", "documentNumber", "status", "levels"])),
            "StandardDocument": ["type": "object", "description": "The standard document of docs/formats/standard.md, as JSON",
                                 "required": ["schemaVersion", "occupation", "edition", "levels"]],
            "ItemSummary": object(["id": ["type": "string", "format": "uuid"], "standardId": ["type": "string", "format": "uuid"],
                                   "level": integer, "part": string, "scope": string, "element": string, "type": string,
                                   "version": integer, "status": string, "difficulty": ["type": "number"], "uses": integer],
                                  required: ["id", "standardId", "level", "part", "scope", "element", "type", "version",
                                             "status", "difficulty", "uses"]),
            "ItemList": array(ref("ItemSummary")),
            "Item": object(["summary": ref("ItemSummary"), "content": ["type": "object", "required": ["stem"],
                                                                      "properties": ["stem": string]]],
                           required: ["summary", "content"]),
            "PlanList": array(object(["number": string, "title": string, "occupation": string, "levels": array(integer),
                                      "registrationOpens": date, "registrationCloses": date, "feeYuan": integer,
                                      "status": ["type": "string", "enum": ["published", "closed"]], "amendments": integer],
                                     required: ["number", "title", "occupation", "levels", "registrationOpens",
                                                "registrationCloses", "feeYuan", "status", "amendments"])),
            "RegistrationImportReport": object(["batchId": ["type": "string", "format": "uuid"], "imported": integer,
                                                "newCandidates": integer, "rows": integer],
                                               required: ["batchId", "imported", "newCandidates", "rows"]),
            "SessionCandidates": array(object(["ticketNumber": string, "name": string, "idNumber": string, "room": string, "seat": integer],
                                              required: ["ticketNumber", "name", "idNumber", "room", "seat"])),
            "ExamLogin": object(["ticketNumber": string, "idNumber": string, "sessionPassword": nullableString],
                                required: ["ticketNumber", "idNumber"]),
            "ExamToken": object(["token": string, "attemptId": uuid], required: ["token", "attemptId"]),
            "ExamAttempt": object(["attemptId": uuid, "status": ["type": "string", "enum": AttemptStatus.allCases.map(\.rawValue)],
                                   "candidateName": string, "sessionTitle": string, "startsInSeconds": integer, "remainingSeconds": integer,
                                   "paused": ["type": "boolean"], "totalPoints": integer,
                                   "items": array(object(["itemId": uuid, "number": integer, "type": string, "stem": string, "points": integer,
                                                          "options": array(object(["index": integer, "text": string], required: ["index", "text"]))],
                                                         required: ["itemId", "number", "type", "stem", "options", "points"])),
                                   "answers": ["type": "object", "additionalProperties": object(["response": array(string), "seq": integer],
                                                                                                required: ["response", "seq"])]],
                                  required: ["attemptId", "status", "candidateName", "sessionTitle", "startsInSeconds", "remainingSeconds",
                                             "paused", "totalPoints", "items", "answers"]),
            "ExamAnswer": object(["response": array(string), "seq": ["type": "integer", "minimum": 0]], required: ["response", "seq"]),
            "ExamSaveResult": object(["result": ["type": "string", "enum": ["stored", "duplicate", "stale"]], "seq": integer,
                                      "remainingSeconds": integer, "paused": ["type": "boolean"]],
                                     required: ["result", "seq", "remainingSeconds", "paused"]),
            "ExamSubmitted": object(["status": string, "submittedAt": dateTime], required: ["status"]),
            "AttemptAnswers": object(["attemptId": uuid, "status": string, "score": ["type": ["number", "null"]], "pendingReview": integer,
                                      "answers": array(object(["itemId": uuid, "response": array(string), "seq": integer, "savedAt": dateTime,
                                                               "awarded": ["type": ["number", "null"]], "needsReview": ["type": "boolean"]],
                                                              required: ["itemId", "response", "seq", "savedAt", "needsReview"]))],
                                     required: ["attemptId", "status", "pendingReview", "answers"]),
            "ScoreSheets": object(["submitted": integer, "panelSize": integer, "allSubmitted": ["type": "boolean"],
                                   "sheets": array(object(["sheetId": uuid, "examinerId": uuid, "score": number, "vetoed": ["type": "boolean"],
                                                           "points": array(number), "comment": string, "submittedAt": dateTime, "correctedAt": dateTime],
                                                          required: ["sheetId", "examinerId", "score", "vetoed", "points", "comment", "submittedAt"])),
                                   "taskScore": ["type": ["number", "null"]], "state": nullableString],
                                  required: ["submitted", "panelSize", "allSubmitted", "sheets"]),
            "ScoreSheetSubmission": object(["candidateId": uuid, "itemId": uuid, "entries": array(string), "vetoed": array(integer),
                                            "comment": string, "clientRef": string],
                                           required: ["candidateId", "itemId", "entries", "clientRef"]),
            "ScoreSheetStored": object(["sheetId": uuid, "score": number, "location": string], required: ["sheetId", "score", "location"]),
            "PublicCertificate": object(["number": ["type": "string", "pattern": "^[YS]\\d{21}$"], "status": ["type": "string", "enum": ["valid", "suspended", "revoked"]],
                                         "name": string, "maskedIdNumber": string, "occupation": string, "workType": string, "level": string,
                                         "issueDate": date, "body": string, "credential": string],
                                        required: ["number", "status", "name", "maskedIdNumber", "occupation", "workType", "level", "issueDate", "body", "credential"]),
            "PublicCertificateList": object(["items": array(ref("PublicCertificate"))], required: ["items"]),
            "CertificatePage": object(["items": array(ref("PublicCertificate")), "total": integer, "page": integer, "perPage": integer],
                                      required: ["items", "total", "page", "perPage"]),
            "AuditVerification": object(["ok": ["type": "boolean"], "checked": integer, "brokenAt": integer,
                                         "problem": string], required: ["ok", "checked"]),
        ]
    }
}
