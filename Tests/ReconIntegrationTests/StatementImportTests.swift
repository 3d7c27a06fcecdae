import Foundation
import Logging
import ReconApp
import ReconCore
import ReconPostgres
import Testing

/// EAT wall clock → instant.
private func eatDate(_ day: Int64, _ hour: Int64, _ minute: Int64, _ second: Int64 = 0) -> Date {
    let days = CivilCalendar.days(year: 2024, month: 5, day: day)
    return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second - 3 * 3600))
}

@Suite("Statement import: stored once, matched line by line, each anomaly one finding, the balance proved")
struct StatementImportTests {
    func payment(
        _ stack: some DatabaseFixture, amount: Int64, phone: String = "254712345678", receipt: String?,
        settledVia: String, created: Date, paidAt: Date?
    ) async throws -> (payment: Int64, course: Int64) {
        let (user, course) = try await stack.seedLearner(price: amount)
        let id =
            try await stack.db.query(
                """
                INSERT INTO payments (user_id, course_id, amount, phone, status, settled_via, mpesa_receipt, paid_amount,
                                      paid_at, created_at, updated_at)
                VALUES (\(user), \(course), \(amount), \(phone), 'completed', \(settledVia), \(receipt),
                        \(receipt == nil ? nil : amount), \(paidAt), \(created), \(created))
                RETURNING id
                """
            ).first?.decode(Int64.self, "id") ?? 0
        return (id, course)
    }

    func write(_ text: String, _ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("import, re-import, reconcile: receipts filled, one finding per anomaly, balance ok")
    func importAndMatch() async throws {
        try await DatabaseStack.with { stack in
            // Ours: matched by receipt; pending receipt (filled by the statement); a mismatch; one missing from the
            // statement; two pending payments one line fits equally (ambiguous).
            let matched = try await payment(
                stack, amount: 1500, receipt: "SE31ABC001", settledVia: "callback", created: eatDate(3, 10, 15),
                paidAt: eatDate(3, 10, 15, 30))
            let pending = try await payment(
                stack, amount: 1000, phone: "254722000111", receipt: nil, settledVia: "query",
                created: eatDate(4, 8, 59), paidAt: nil)
            let mismatched = try await payment(
                stack, amount: 500, receipt: "SE31ABC011", settledVia: "callback", created: eatDate(6, 9, 0),
                paidAt: eatDate(6, 9, 0, 20))
            let missing = try await payment(
                stack, amount: 2000, receipt: "SE31ABC009", settledVia: "callback", created: eatDate(7, 9, 0),
                paidAt: eatDate(7, 9, 0, 20))
            let twinA = try await payment(
                stack, amount: 300, phone: "254733000222", receipt: nil, settledVia: "query",
                created: eatDate(8, 9, 0), paidAt: nil)
            let twinB = try await payment(
                stack, amount: 300, phone: "254733000222", receipt: nil, settledVia: "query",
                created: eatDate(8, 9, 1), paidAt: nil)
            // A refund paid out through B2C, along the refund state machine's edges.
            let refundID =
                try await stack.db.query(
                    """
                    INSERT INTO refunds (payment_id, amount, reason, proposed_by)
                    VALUES (\(matched.payment), 1000, 'test', 'mpesa-recon')
                    RETURNING id
                    """
                ).first?.decode(Int64.self, "id") ?? 0
            try await stack.db.query(
                """
                UPDATE refunds SET status = 'approved', approved_by = 'alice',
                    approved_by_user_id = (SELECT id FROM users WHERE email = 'alice@example.com')
                WHERE id = \(refundID)
                """)
            try await stack.db.query(
                "UPDATE refunds SET status = 'sending', originator_conversation_id = 'oc-1' WHERE id = \(refundID)")
            try await stack.db.query(
                """
                UPDATE refunds SET status = 'succeeded', transaction_id = 'SE31ABC003', completed_at = \(eatDate(5, 12, 0))
                WHERE id = \(refundID)
                """)
            _ = twinA
            _ = twinB
            let csv = """
                Account Holder:,ACME LEARNING LTD
                Short Code:,600123
                "Time Period: From 01-05-2024 00:00:00 To 31-05-2024 23:59:59"
                Opening Balance:,"10,000.00",Closing Balance:,"12,800.00",Total Paid In:,"4,080.00",Total Withdrawn:,"1,280.00"
                Receipt No.,Completion Time,Details,Transaction Status,Paid In,Withdrawn,Reason Type,Other Party Info,Linked Transaction ID,A/C No.
                SE31ABC001,03-05-2024 10:15:30,Pay Bill Online,Completed,"1,500.00",,Pay Bill Online,25471****678 - JANE DOE,,COURSE\(matched.course)
                SE31ABC002,04-05-2024 09:00:10,Pay Utility,Completed,"1,000.00",,Pay Utility with OD via STK,25472****111 - JOHN ROE,,COURSE\(pending.course)
                SE31ABC003,05-05-2024 12:00:00,B2C,Completed,,"1,000.00",Business Payment to Customer via API,25471****678 - JANE DOE,,
                SE31ABC004,05-05-2024 12:00:00,Charge,Completed,,15.00,Business Payment to Customer via API Charge,,SE31ABC003,
                SE31ABC011,06-05-2024 09:00:20,Pay Bill Online,Completed,550.00,,Pay Bill Online,25471****678 - JANE DOE,,COURSE\(mismatched.course)
                SE31ABC010,06-05-2024 11:00:00,Pay Bill Online,Completed,730.00,,Pay Bill Online,25470****999 - STRANGER,,COURSE999
                SE31ABC012,08-05-2024 09:01:30,Pay Bill Online,Completed,300.00,,Pay Bill Online,25473****222 - TWIN,,
                SE31ABC013,31-05-2024 23:00:00,Sweep,Completed,,265.00,Utility Account to Organization Settlement Account,,,
                """
            let path = try write(csv, "may.csv")
            defer { try? FileManager.default.removeItem(atPath: path) }
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let job = StatementImportJob(pool: stack.pool, logger: logger)
            let first = try await job.run(paths: [path])
            #expect(first.lines == 8)
            #expect(first.skippedDuplicates == 0)
            #expect(first.balanceCheck == "ok")
            #expect(first.openingBalance == Money(minorUnits: 1_000_000))
            #expect(first.closingBalance == Money(minorUnits: 1_280_000))
            #expect(first.receiptsFilled == 1)
            #expect(first.statementOnly == 1)
            #expect(first.missingFromStatement == 1)
            #expect(first.amountMismatches == 1)
            #expect(first.ambiguous == 1)
            #expect(first.matched == 3)  // SE31ABC001, SE31ABC011 by receipt; SE31ABC003 by TransactionID
            #expect(first.customerLinesTieOut)
            #expect(first.linesByClass == ["payment": 5, "refund": 1, "charge": 1, "sweep": 1])

            let filled = try #require(try await stack.payment(pending.payment))
            #expect(filled.state.receipt == "SE31ABC002")
            #expect(filled.state.paidAt == eatDate(4, 9, 0, 10))
            #expect(try await stack.count("SELECT count(*) FROM statement_lines") == 8)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM refunds WHERE id = \(refundID) AND statement_fee = 15") == 1)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM reconciliation_exceptions WHERE key = 'statement_only:receipt:SE31ABC010'")
                    == 1)
            #expect(
                try await stack.count(
                    """
                    SELECT count(*) FROM reconciliation_exceptions
                    WHERE key = \("missing_from_statement:payment:\(missing.payment)")
                    """) == 1)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM payment_events WHERE payment_id = \(pending.payment) AND source = 'reconcile'"
                )
                    == 1)

            // The same file again adds nothing; the findings stay one each.
            let again = try await job.run(paths: [path])
            #expect(again.lines == 8 && again.skippedDuplicates == 8 && again.receiptsFilled == 0 && again.matched == 0)
            #expect(try await stack.count("SELECT count(*) FROM statement_lines") == 8)
            let findingKinds = """
                SELECT count(*) FROM reconciliation_exceptions WHERE status = 'open' AND kind IN
                ('statement_only', 'missing_from_statement', 'statement_amount_mismatch', 'ambiguous_statement_line',
                 'refund_missing_from_statement')
                """
            #expect(try await stack.count(SQLQuery(unsafeSQL: findingKinds)) == 4)

            // Reconcile runs the same step: nothing new.
            let reconcile = try await ReconcileJob(pool: stack.pool, logger: logger).run()
            #expect(reconcile.statement.receiptsFilled == 0)
            #expect(reconcile.statement.findings["statement_only"] == 1)
            #expect(try await stack.count(SQLQuery(unsafeSQL: findingKinds)) == 4)

            // A broken file leaves nothing behind.
            let broken = try write(
                "Receipt No.,Completion Time,Paid In\nSE31ABC099,01-05-2024 10:00:00,1.00\nSE31ABC098,x,2.00\n",
                "bad.csv")
            defer { try? FileManager.default.removeItem(atPath: broken) }
            await #expect(throws: (any Error).self) { _ = try await job.run(paths: [broken]) }
            #expect(try await stack.count("SELECT count(*) FROM statement_lines WHERE receipt = 'SE31ABC099'") == 0)
            #expect(try await stack.count("SELECT count(*) FROM statement_imports") == 2)
        }
    }
}
