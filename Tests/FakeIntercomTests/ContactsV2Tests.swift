import FakeIntercom
import LeadModel
import Testing

@Suite("The 2.x contacts API")
struct ContactsV2Tests {
    @Test func aLeadReadsAsA2xContact() async throws {
        try await withFakeAndClient { _, client in
            let reply = try await client.get("/contacts/\(obrienID)")
            #expect(reply.status == 200)
            let contact = try reply.json
            let keys = try #require(contact.objectValue?.keys)
            #expect(Array(keys.prefix(6)) == ["type", "id", "workspace_id", "external_id", "role", "email"])
            for absent in [
                "user_id", "pseudonym", "anonymous", "location_data", "session_count", "app_id", "segments",
                "last_request_at", "last_seen_ip", "user_agent_data",
            ] {
                #expect(contact[absent] == nil, "\(absent)")
            }
            #expect(contact["type"] == "contact")
            #expect(contact["id"] == .string(obrienID))
            #expect(contact["workspace_id"] == "ja43hiec")
            #expect(contact["external_id"] == .string(obrienUserID))
            #expect(contact["role"] == "lead")
            #expect(contact["email"] == "obrien@truth.org")
            #expect(contact["email_domain"] == "truth.org")
            #expect(contact["phone"] == "00353875551234")
            #expect(contact["avatar"] == ["type": "avatar", "image_url": nil])
            #expect(contact["owner_id"] == .null)
            #expect(contact["social_profiles"] == ["type": "list", "data": []])
            #expect(contact["has_hard_bounced"] == false)
            #expect(contact["created_at"] == 1_477_572_283)
            #expect(contact["updated_at"] == 1_480_068_674)
            #expect(contact["last_seen_at"] == 1_477_660_267)
            #expect(contact["signed_up_at"] == .null)
            #expect(contact["last_replied_at"] == .null)
            #expect(contact["location"]?["type"] == "location")
            #expect(contact["location"]?["city"] == "Mukilteo")
            #expect(contact["location"]?["region"] == "Washington")
            #expect(contact["location"]?["country"] == "United States")
            #expect(contact["custom_attributes"] == ["paid_subscriber": true, "monthly_spend": 155.5, "team_mates": 9])
            #expect(
                contact["tags"] == [
                    "type": "list", "data": [], "url": .string("/contacts/\(obrienID)/tags"), "total_count": 0,
                    "has_more": false,
                ])
            #expect(contact["notes"]?["url"] == .string("/contacts/\(obrienID)/notes"))
            #expect(contact["companies"]?["type"] == "list")
        }
    }

    @Test func putChangesOnlyTheGivenFieldsAndReadsBackIn1x() async throws {
        try await withFakeAndClient { fake, client in
            let body = """
                {"name":"O'Brien","phone":null,"external_id":"obrien-1984","last_seen_at":1700000000,
                 "signed_up_at":1600000000,"owner_id":42,"unsubscribed_from_emails":true,
                 "avatar":"https://example.com/o.png",
                 "custom_attributes":{"team_mates":10,"monthly_spend":200,"plan":"inner","paid_subscriber":null}}
                """
            let reply = try await client.send("PUT", "/contacts/\(obrienID)", json: body)
            #expect(reply.status == 200)
            let contact = try reply.json
            #expect(contact["name"] == "O'Brien")
            #expect(contact["phone"] == .null)
            #expect(contact["email"] == "obrien@truth.org", "untouched")
            #expect(contact["external_id"] == "obrien-1984")
            #expect(contact["last_seen_at"] == 1_700_000_000)
            #expect(contact["signed_up_at"] == 1_600_000_000)
            #expect(contact["owner_id"] == 42)
            #expect(contact["unsubscribed_from_emails"] == true)
            #expect(contact["avatar"]?["image_url"] == "https://example.com/o.png")
            #expect(
                contact["custom_attributes"] == [
                    "paid_subscriber": nil, "monthly_spend": 200, "team_mates": 10, "plan": "inner",
                ])
            #expect(try #require(contact["updated_at"]?.integerValue) > 1_480_068_674)

            let again = try await client.send("PUT", "/contacts/\(obrienID)", json: body)
            #expect(again.status == 200)
            #expect(again.text == reply.text, "repeating the same PUT gives the same result")

            let v1 = try Contact(jsonBytes: try await client.send("GET", "/contacts/\(obrienID)", version: "1.4").body)
            #expect(v1.userID == "obrien-1984")
            #expect(v1.lastRequestAt == 1_700_000_000)
            #expect(v1.avatar?.imageURL == "https://example.com/o.png")
            #expect(v1.customAttributes["plan"] == "inner")
            #expect(fake.lead(userID: "obrien-1984")?.id == obrienID)
            #expect(fake.lead(userID: obrienUserID) == nil)
        }
    }

    @Test func putCanChangeTheRole() async throws {
        try await withFakeAndClient { fake, client in
            let before = try #require(fake.lead(id: obrienID)?.updatedAt)
            let reply = try await client.send("PUT", "/contacts/\(obrienID)", json: #"{"role":"user"}"#)
            #expect(try reply.json["role"] == "user")
            #expect(try #require(fake.lead(id: obrienID)?.updatedAt) > before)
            #expect(fake.role(ofLead: obrienID) == "user")
            #expect(try await client.get("/contacts/\(obrienID)").json["role"] == "user")
            let search = try await client.send(
                "POST", "/contacts/search", json: #"{"query":{"field":"role","operator":"=","value":"user"}}"#)
            #expect(try search.json["data"]?.arrayValue?.map { $0["id"] } == [.string(obrienID)])
        }
    }

    @Test func a1xUpdateReadsBackIn2x() async throws {
        try await withFakeAndClient { _, client in
            let update = try await client.send(
                "POST", "/contacts", json: #"{"id":"\#(obrienID)","last_request_at":1700000001,"name":"Big"}"#,
                version: "1.4")
            #expect(update.status == 200)
            let contact = try await client.get("/contacts/\(obrienID)").json
            #expect(contact["last_seen_at"] == 1_700_000_001)
            #expect(contact["name"] == "Big")
        }
    }

    @Test(arguments: [
        (#""name":5"#, "name"),
        (#""email":true"#, "email"),
        (#""external_id":12"#, "external_id"),
        (#""last_seen_at":"yesterday""#, "last_seen_at"),
        (#""signed_up_at":1.5"#, "signed_up_at"),
        (#""owner_id":"42""#, "owner_id"),
        (#""unsubscribed_from_emails":"yes""#, "unsubscribed_from_emails"),
        (#""avatar":{"image_url":"x"}"#, "avatar"),
        (#""role":"admin""#, "role"),
        (#""custom_attributes":[1]"#, "custom_attributes"),
        (#""custom_attributes":{"team_mates":"nine"}"#, "team_mates"),
        (#""custom_attributes":{"monthly_spend":true}"#, "monthly_spend"),
        (#""custom_attributes":{"paid_subscriber":{"yes":true}}"#, "paid_subscriber"),
        (#""custom_attributes":{"plan":7}"#, "plan"),
    ])
    func putRejectsValuesOfTheWrongType(field: String, name: String) async throws {
        try await withFakeAndClient { fake, client in
            let reply = try await client.send("PUT", "/contacts/\(obrienID)", json: #"{"phone":"1",\#(field)}"#)
            #expect(reply.status == 400)
            #expect(try reply.error.code == "parameter_invalid")
            #expect(try reply.error.field == name)
            #expect(fake.lead(id: obrienID) == FakeIntercom.sampleLeads[0], "nothing is applied")
        }
    }

    @Test(arguments: ["user_id", "last_seen_ip", "last_seen_user_agent", "last_request_at", "update_last_request_at"])
    func putRefuses1xOnlyFields(name: String) async throws {
        try await withFakeAndClient { fake, client in
            let reply = try await client.send("PUT", "/contacts/\(obrienID)", json: #"{"name":"X","\#(name)":"1"}"#)
            #expect(reply.status == 400)
            #expect(try reply.error.code == "parameter_invalid")
            #expect(try reply.error.message == "bad '\(name)' parameter")
            #expect(try reply.error.field == name)
            #expect(fake.lead(id: obrienID)?.name == "OBrien")
        }
    }

    @Test func customAttributesMustExistAndBeUnarchived() async throws {
        var attributes = DataAttribute.sampleAttributes
        attributes.append(DataAttribute(name: "legacy_score", dataType: "integer", archived: true))
        try await withFakeAndClient(.init(dataAttributes: attributes)) { fake, client in
            for name in ["churn_risk", "legacy_score", "email"] {
                let reply = try await client.send(
                    "PUT", "/contacts/\(obrienID)", json: #"{"custom_attributes":{"\#(name)":1}}"#)
                #expect(reply.status == 400, "\(name)")
                #expect(try reply.error.code == "parameter_invalid")
                #expect(try reply.error.message == "Custom attribute '\(name)' does not exist")
                #expect(try reply.error.field == name)
            }
            fake.addDataAttribute(DataAttribute(name: "churn_risk", dataType: "float"))
            let ok = try await client.send(
                "PUT", "/contacts/\(obrienID)", json: #"{"custom_attributes":{"churn_risk":1}}"#)
            #expect(ok.status == 200)
            #expect(try ok.json["custom_attributes"]?["churn_risk"] == 1)

            let wrongType = try await client.send(
                "PUT", "/contacts/\(obrienID)", json: #"{"custom_attributes":{"team_mates":9.5}}"#)
            #expect(wrongType.status == 400)
            #expect(try wrongType.error.message == "Custom attribute 'team_mates' is of type integer, got decimal")
        }
    }

    @Test func a1xUpdateCreatesTheAttributesItSets() async throws {
        try await withFakeAndClient { fake, client in
            let update = try await client.send(
                "POST", "/contacts", json: #"{"id":"\#(obrienID)","custom_attributes":{"thoughtcrime":true}}"#,
                version: "1.4")
            #expect(update.status == 200)
            #expect(fake.dataAttributes.contains { $0.name == "thoughtcrime" && $0.dataType == "boolean" && $0.custom })
            let put = try await client.send(
                "PUT", "/contacts/\(obrienID)", json: #"{"custom_attributes":{"thoughtcrime":false}}"#)
            #expect(put.status == 200)
        }
    }

    @Test func putWithAnotherContactsEmailOrExternalIDIsAConflict() async throws {
        try await withFakeAndClient { fake, client in
            let julia = FakeIntercom.sampleLeads[1]
            for body in [#"{"email":"JULIA@ministry.example"}"#, #"{"external_id":"\#(julia.userID!)"}"#] {
                let reply = try await client.send("PUT", "/contacts/\(obrienID)", json: body)
                #expect(reply.status == 409, "\(body)")
                #expect(try reply.error.code == "conflict")
                #expect(try reply.error.message == "A contact matching those details already exists with id=\(julia.id)")
            }
            let own = try await client.send("PUT", "/contacts/\(obrienID)", json: #"{"email":"obrien@truth.org"}"#)
            #expect(own.status == 200, "its own email is no conflict")
            #expect(fake.allLeads == FakeIntercom.sampleLeads)
        }
    }

    @Test func putToAnUnknownContactIs404() async throws {
        try await withFakeAndClient { _, client in
            let reply = try await client.send("PUT", "/contacts/ffffffffffffffffffffffff", json: #"{"name":"X"}"#)
            #expect(reply.status == 404)
            #expect(try reply.error.code == "not_found")
            #expect(try reply.error.message == "Contact Not Found")
        }
    }

    @Test func postCreatesOnlyAndNeedsAnEmailOrExternalID() async throws {
        try await withFakeAndClient { fake, client in
            let missing = try await client.post(#"{"name":"Nobody","id":"\#(obrienID)"}"#)
            #expect(missing.status == 400)
            #expect(try missing.error.code == "parameter_invalid")
            #expect(try missing.error.message == "Either email or external_id must be provided")

            let created = try await client.post(
                #"{"external_id":"parsons-1","name":"Parsons","role":"lead","custom_attributes":{"team_mates":2}}"#)
            #expect(created.status == 200)
            let contact = try created.json
            let id = try #require(contact["id"]?.stringValue)
            #expect(id.count == 24 && id.allSatisfy(\.isHexDigit))
            #expect(contact["external_id"] == "parsons-1")
            #expect(contact["role"] == "lead")
            #expect(contact["custom_attributes"] == ["team_mates": 2])
            #expect(contact["created_at"] == contact["updated_at"])
            #expect(fake.lead(userID: "parsons-1")?.id == id)

            let again = try await client.post(#"{"external_id":"parsons-1"}"#)
            #expect(again.status == 409)
            #expect(try again.error.message == "A contact matching those details already exists with id=\(id)")

            let user = try await client.post(#"{"email":"ampleforth@records.example"}"#)
            #expect(try user.json["role"] == "user", "Intercom's default role")
            #expect(fake.allLeads.count == FakeIntercom.sampleLeads.count + 2)
        }
    }

    @Test func searchByExternalIDEmailAndCombinations() async throws {
        try await withFakeAndClient { _, client in
            func search(_ query: String, perPage: Int = 2) async throws -> TestReply {
                try await client.send(
                    "POST", "/contacts/search", json: #"{"query":\#(query),"pagination":{"per_page":\#(perPage)}}"#)
            }
            let byExternalID = try await search(#"{"field":"external_id","operator":"=","value":"\#(obrienUserID)"}"#)
            #expect(byExternalID.status == 200)
            let body = try byExternalID.json
            #expect(body["type"] == "list")
            #expect(body["total_count"] == 1)
            #expect(body["data"]?.arrayValue?.first?["id"] == .string(obrienID))
            #expect(body["pages"] == ["type": "pages", "page": 1, "per_page": 2, "total_pages": 1])

            let byEmail = try await search(#"{"field":"email","operator":"=","value":"Julia@Ministry.example"}"#)
            #expect(try byEmail.json["data"]?.arrayValue?.first?["email"] == "julia@ministry.example")

            let both = try await search(
                """
                {"operator":"AND","value":[{"field":"external_id","operator":"=","value":"\(obrienUserID)"},
                 {"field":"email","operator":"=","value":"obrien@truth.org"},{"field":"role","operator":"=","value":"lead"}]}
                """)
            #expect(try both.json["total_count"] == 1)
            let mismatch = try await search(
                """
                {"operator":"AND","value":[{"field":"external_id","operator":"=","value":"\(obrienUserID)"},
                 {"field":"email","operator":"=","value":"julia@ministry.example"}]}
                """)
            #expect(try mismatch.json["total_count"] == 0)
            #expect(try mismatch.json["data"] == [])
            #expect(try mismatch.json["pages"]?["total_pages"] == 0)

            let either = try await search(
                """
                {"operator":"OR","value":[{"field":"id","operator":"=","value":"\(obrienID)"},
                 {"field":"email","operator":"=","value":"julia@ministry.example"}]}
                """, perPage: 1)
            let first = try either.json
            #expect(first["total_count"] == 2)
            #expect(first["data"]?.arrayValue?.count == 1)
            #expect(first["pages"]?["total_pages"] == 2)
            #expect(first["pages"]?["next"]?["starting_after"] == .string(obrienID))
            let second = try await client.send(
                "POST", "/contacts/search",
                json: """
                    {"query":{"operator":"OR","value":[{"field":"id","operator":"=","value":"\(obrienID)"},
                     {"field":"email","operator":"=","value":"julia@ministry.example"}]},
                     "pagination":{"per_page":1,"starting_after":"\(obrienID)"}}
                    """)
            #expect(try second.json["data"]?.arrayValue?.first?["email"] == "julia@ministry.example")
            #expect(try second.json["pages"]?["page"] == 2)
            #expect(try second.json["pages"]?["next"] == nil)
        }
    }

    @Test(arguments: [
        (#"{}"#, "parameter_not_found"),
        (#"{"query":[]}"#, "parameter_invalid"),
        (#"{"query":{"field":"external_id","operator":"==","value":"x"}}"#, "parameter_invalid"),
        (#"{"query":{"field":"external_id","operator":"=","value":5}}"#, "parameter_invalid"),
        (#"{"query":{"field":"shoe_size","operator":"=","value":"9"}}"#, "invalid_field"),
        (#"{"query":{"operator":"AND","value":[]}}"#, "parameter_invalid"),
        (
            #"{"query":{"operator":"AND","value":[{"operator":"OR","value":[{"operator":"AND","value":[]}]}]}}"#,
            "parameter_invalid"
        ),
        (#"{"query":{"field":"id","operator":"=","value":"x"},"pagination":{"per_page":151}}"#, "parameter_invalid"),
        (#"{"query":"#, "bad_request"),
    ])
    func aBadSearchIs400(body: String, code: String) async throws {
        try await withFakeAndClient { _, client in
            let reply = try await client.send("POST", "/contacts/search", json: body)
            #expect(reply.status == 400)
            #expect(try reply.error.code == code)
        }
    }

    @Test func listingIgnoresThe1xUserIDParameter() async throws {
        try await withFakeAndClient { _, client in
            let reply = try await client.get("/contacts?user_id=\(obrienUserID)")
            #expect(reply.status == 200)
            let body = try reply.json
            #expect(body["type"] == "list")
            #expect(body["total_count"] == .integer(Int64(FakeIntercom.sampleLeads.count)))
            #expect(body["data"]?.arrayValue?.count == FakeIntercom.sampleLeads.count)

            let byExternalID = try await client.get("/contacts/find_by_external_id/\(obrienUserID)")
            #expect(try byExternalID.json["id"] == .string(obrienID))
        }
    }

    @Test func dataAttributesListTheCatalogInEveryVersion() async throws {
        var attributes = DataAttribute.sampleAttributes
        attributes.append(DataAttribute(name: "legacy_score", dataType: "integer", archived: true))
        try await withFakeAndClient(.init(dataAttributes: attributes)) { fake, client in
            for version in ["1.4", "2.14"] {
                let reply = try await client.send("GET", "/data_attributes?model=contact", version: version)
                #expect(reply.status == 200)
                let body = try reply.json
                #expect(body["type"] == "list")
                let data = try #require(body["data"]?.arrayValue)
                #expect(data.count == DataAttribute.sampleAttributes.count, "archived ones are left out")
                let spend = try #require(data.first { $0["name"] == "monthly_spend" })
                #expect(spend["type"] == "data_attribute")
                #expect(spend["id"]?.integerValue != nil)
                #expect(spend["model"] == "contact")
                #expect(spend["full_name"] == "custom_attributes.monthly_spend")
                #expect(spend["data_type"] == "float")
                #expect(spend["custom"] == true)
                #expect(spend["archived"] == false)
                #expect(spend["api_writable"] == true)
                #expect(spend["admin_id"]?.stringValue != nil)
                #expect(spend["created_at"]?.integerValue != nil)
                let email = try #require(data.first { $0["name"] == "email" })
                #expect(email["full_name"] == "email")
                #expect(email["custom"] == false)
                #expect(email["id"] == nil)
                #expect(data.first { $0["name"] == "paid_subscriber" }?["data_type"] == "boolean")
                #expect(data.first { $0["name"] == "team_mates" }?["data_type"] == "integer")
                #expect(data.first { $0["name"] == "plan" }?["data_type"] == "string")
            }
            let all = try await client.get("/data_attributes?include_archived=true")
            #expect(try all.json["data"]?.arrayValue?.count == attributes.count)
            #expect(try await client.get("/data_attributes?model=company").json["data"] == [])
            #expect(try await client.get("/data_attributes?model=planet").status == 400)

            fake.inject(.serviceUnavailable)
            #expect(try await client.get("/data_attributes").status == 503, "faults reach /data_attributes")
        }
    }

    @Test func authRateLimitsAndRecordingCoverThe2xRoutes() async throws {
        try await withFakeAndClient(.init(rateLimit: RateLimit(limit: 10, window: .seconds(10)))) { fake, client in
            let denied = try await client.send("PUT", "/contacts/\(obrienID)", json: #"{"name":"X"}"#, token: "wrong")
            #expect(denied.status == 401)
            let search = try await client.send(
                "POST", "/contacts/search", json: #"{"query":{"field":"id","operator":"=","value":"x"}}"#)
            #expect(search.header("X-RateLimit-Limit") == "10")
            #expect(search.header("X-RateLimit-Remaining") == "9")
            #expect(fake.requests.map(\.method) == ["PUT", "POST"])
            #expect(fake.requests.last?.path == "/contacts/search")
            #expect(fake.lead(id: obrienID)?.name == "OBrien")
        }
    }
}
