import FakeIntercom
import LeadModel
import Testing

@Suite("API versions")
struct VersionTests {
    @Test func aRequestWithoutHeaderRunsOnTheAppVersionAndTheHeaderOverridesIt() async throws {
        try await withFakeAndClient { fake, client in
            #expect(fake.appVersion == "2.14")
            let v2 = try await client.get("/contacts/\(obrienID)")
            #expect(v2.status == 200)
            #expect(try v2.json["external_id"] == .string(obrienUserID))
            #expect(try v2.json["user_id"] == nil)

            let v1 = try await client.send("GET", "/contacts/\(obrienID)", version: "1.4")
            #expect(v1.text == FakeIntercom.sampleLeads[0].json)
        }
        try await withFakeAndClient(.v1) { fake, client in
            #expect(try await client.get("/contacts/\(obrienID)").text == FakeIntercom.sampleLeads[0].json)
            let v2 = try await client.send("GET", "/contacts/\(obrienID)", version: "2.14")
            #expect(try v2.json["workspace_id"] == "ja43hiec")

            fake.setAppVersion("2.7")
            #expect(try await client.get("/contacts/\(obrienID)").json["role"] == "lead")
        }
    }

    @Test(arguments: ["3.0", "2.17", "2.14.0", "v2.14", "1.5", "latest", ""])
    func anUnknownVersionIsRefused(version: String) async throws {
        try await withFakeAndClient { fake, client in
            for path in ["/contacts/\(obrienID)", "/me"] {
                let reply = try await client.send("GET", path, version: version)
                #expect(reply.status == 400, "\(path)")
                let body = try reply.json
                #expect(body["type"] == "error.list")
                #expect(body["request_id"]?.stringValue?.isEmpty == false)
                #expect(try reply.error.code == "intercom_version_invalid")
                #expect(try reply.error.message == "The requested version could not be found")
            }
            let post = try await client.send("POST", "/contacts", json: #"{"email":"x@example.com"}"#, version: version)
            #expect(post.status == 400)
            #expect(fake.allLeads.count == FakeIntercom.sampleLeads.count)
        }
    }

    @Test(arguments: ["1.0", "1.3", "2.0", "2.11", "2.16", "Unstable", "Preview"])
    func everyKnownVersionIsAnswered(version: String) async throws {
        try await withFakeAndClient { _, client in
            let reply = try await client.send("GET", "/contacts/\(obrienID)", version: version)
            #expect(reply.status == 200)
            #expect(try reply.json["type"] == "contact")
            #expect(FakeIntercom.isKnownVersion(version))
        }
    }

    @Test func aWorkspaceThatRefusesV1AnswersEvery1xRequestWithVersionInvalid() async throws {
        try await withFakeAndClient(.init(acceptsV1: false)) { fake, client in
            let update = try await client.send(
                "POST", "/contacts", json: #"{"id":"\#(obrienID)","name":"X"}"#, version: "1.4")
            #expect(update.status == 400)
            #expect(try update.error.code == "intercom_version_invalid")
            #expect(try update.error.message == "The requested version (1.4) is not valid")
            #expect(fake.lead(id: obrienID)?.name == "OBrien")
            #expect(try await client.send("GET", "/me", version: "1.0").status == 400)

            #expect(try await client.get("/contacts/\(obrienID)").status == 200, "2.x still answers")

            fake.setAppVersion("1.4")
            let noHeader = try await client.get("/contacts/\(obrienID)")
            #expect(noHeader.status == 400, "an app set to 1.x fails without a header too")
            #expect(try noHeader.error.code == "intercom_version_invalid")

            fake.setAcceptsV1(true)
            #expect(try await client.get("/contacts/\(obrienID)").text == FakeIntercom.sampleLeads[0].json)
        }
    }

    @Test func meCarriesTheAppInEveryVersion() async throws {
        try await withFakeAndClient(.init(appID: "q1w2e3r4", appName: "Ministry")) { _, client in
            for version in ["1.4", "2.14", "Unstable"] {
                let me = try await client.send("GET", "/me", version: version)
                #expect(me.status == 200)
                let body = try me.json
                #expect(body["type"] == "admin")
                #expect(body["app"]?["type"] == "app")
                #expect(body["app"]?["id_code"] == "q1w2e3r4")
                #expect(body["app"]?["name"] == "Ministry")
                #expect(body["app"]?["region"] == "US")
            }
            let contact = try await client.get("/contacts/\(obrienID)")
            #expect(try contact.json["workspace_id"] == "q1w2e3r4")
        }
    }

    /// The seed's "Update Lead" call sent without pinning the version: on a 2.x
    /// workspace it creates a duplicate instead of updating.
    @Test func theSeedsUpdateWithoutAVersionCreatesADuplicateOn2x() async throws {
        let body = #"{"id":"\#(obrienID)","user_id":"\#(obrienUserID)","email":"obrien@minitrue.example","name":"OBrien"}"#
        try await withFakeAndClient { fake, client in
            let reply = try await client.post(body)
            #expect(reply.status == 200)
            let created = try reply.json
            #expect(created["type"] == "contact")
            #expect(created["id"]?.stringValue != obrienID)
            #expect(created["email"] == "obrien@minitrue.example")
            #expect(created["external_id"] == nil || created["external_id"] == .null)
            #expect(fake.allLeads.count == FakeIntercom.sampleLeads.count + 1, "a second OBrien")
            #expect(fake.lead(id: obrienID)?.email == "obrien@truth.org", "the lead itself is untouched")

            let pinned = try await client.send(
                "POST", "/contacts", json: body.replacingOccurrences(of: "minitrue", with: "oceania"), version: "1.4")
            #expect(pinned.status == 200)
            #expect(try Contact(jsonBytes: pinned.body).id == obrienID)
            #expect(fake.lead(id: obrienID)?.email == "obrien@oceania.example")
            #expect(fake.allLeads.count == FakeIntercom.sampleLeads.count + 1, "1.4 updated, nothing new")
        }
    }

    @Test func theSeedsOwnBodyOn2xHitsTheExistingEmailAndAnswers409() async throws {
        try await withFakeAndClient { fake, client in
            let reply = try await client.post(UpdateTests.seedBody)
            #expect(reply.status == 409)
            #expect(try reply.error.code == "conflict")
            #expect(try reply.error.message == "A contact matching those details already exists with id=\(obrienID)")
            #expect(fake.allLeads == FakeIntercom.sampleLeads)
        }
    }

    @Test func mergedContactsAnswer410WithALinkFrom216And404Before() async throws {
        try await withFakeAndClient { fake, client in
            let julia = FakeIntercom.sampleLeads[1].id
            let winston = FakeIntercom.sampleLeads[2].id
            #expect(fake.merge(leadID: obrienID, into: "no-such-lead") == nil)
            #expect(fake.merge(leadID: obrienID, into: julia)?.id == obrienID)
            #expect(fake.merge(leadID: julia, into: winston)?.id == julia)
            #expect(fake.lead(id: obrienID) == nil)

            for version in ["2.16", "Unstable", "Preview"] {
                let gone = try await client.send("GET", "/contacts/\(obrienID)", version: version)
                #expect(gone.status == 410, "\(version)")
                #expect(try gone.error.code == "contact_merged")
                #expect(
                    try gone.error.message
                        == "This contact has been merged. See the 'Link' header for the canonical contact.")
                #expect(gone.header("Link") == #"</contacts/\#(winston)>; rel="canonical""#, "follows the chain")
            }
            for version in ["2.15", "2.14", "1.4"] {
                let missing = try await client.send("GET", "/contacts/\(obrienID)", version: version)
                #expect(missing.status == 404, "\(version)")
                #expect(try missing.error.message == "Contact Not Found")
                #expect(missing.header("Link") == nil)
            }
            let put = try await client.send("PUT", "/contacts/\(obrienID)", json: #"{"name":"X"}"#, version: "2.16")
            #expect(put.status == 404)
            #expect(try await client.send("GET", "/contacts/\(winston)", version: "2.16").status == 200)
            #expect(try await client.get("/contacts/000000000000000000000000").status == 404)
        }
    }
}
