import Mustache

/// The console's templates and stylesheet, compiled into the binary (no files to deploy, no CDN). `{{x}}` escapes
/// HTML; the layout alone takes the rendered page whole (`{{{body}}}`).
enum ConsoleTemplates {
    static let all: [String: String] = [
        "layout": layout, "login": login, "message": message, "dashboard": dashboard, "payments": payments,
        "payment": payment, "callback": callback, "refunds": refunds, "refund": refund, "exceptions": exceptions,
        "exception": exception, "reports": reports, "audit": audit,
    ]

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · mpesa-recon</title>
        <link rel="stylesheet" href="/console/static/console.css">
        </head>
        <body>
        <header class="top">
          <a class="brand" href="/console/">mpesa-recon</a>
          {{#signed_in}}
          <nav>
            <a href="/console/">Overview</a>
            <a href="/console/payments">Payments</a>
            <a href="/console/refunds">Refunds</a>
            <a href="/console/exceptions">Exceptions</a>
            <a href="/console/reports">Reports</a>
            <a href="/console/audit">Audit</a>
          </nav>
          <form class="logout" method="post" action="/console/logout">
            <span class="who">{{user_email}} · {{user_role}}</span>
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <button type="submit" class="link">Log out</button>
          </form>
          {{/signed_in}}
        </header>
        <main>
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{{body}}}
        </main>
        <footer>Times in East Africa Time (EAT, UTC+3). Amounts in Kenya shillings.</footer>
        </body>
        </html>
        """

    static let login = """
        <section class="login">
        <h1>Sign in</h1>
        <p class="muted">With your LMS account. Only admin and finance accounts can use the console.</p>
        <form method="post" action="/console/login">
          <input type="hidden" name="csrf_token" value="{{login_csrf}}">
          <input type="hidden" name="next" value="{{next}}">
          <label>Email <input type="email" name="email" value="{{email}}" autocomplete="username" required autofocus></label>
          <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
          <button type="submit">Sign in</button>
        </form>
        </section>
        """

    static let message = """
        <h1>{{title}}</h1>
        <p>{{message}}</p>
        <p><a href="/console/">Back to the overview</a></p>
        """

    static let dashboard = """
        <h1>Overview <span class="muted">figures as of {{now}}</span></h1>
        <div class="cards">
          <div class="card"><h2>Today</h2>
            <dl><dt>Collected</dt><dd class="amount">{{today.collected}}</dd>
            <dt>Refunded</dt><dd class="amount">{{today.refunded}}</dd>
            <dt>Net</dt><dd class="amount strong">{{today.net}}</dd></dl></div>
          <div class="card"><h2>This month</h2>
            <dl><dt>Collected</dt><dd class="amount">{{month.collected}}</dd>
            <dt>Refunded</dt><dd class="amount">{{month.refunded}}</dd>
            <dt>Net</dt><dd class="amount strong">{{month.net}}</dd></dl></div>
          <div class="card"><h2>Waiting on M-Pesa</h2>
            <dl><dt>Pending payments</dt><dd>{{pending_count}}</dd>
            <dt>Oldest pending</dt><dd>{{oldest_pending}}</dd>
            <dt>Unknown (a person decides)</dt><dd>{{unknown_count}}</dd></dl></div>
          <div class="card"><h2>Waiting on people</h2>
            <dl><dt>Approved refunds to send</dt><dd><a href="/console/refunds?status=approved">{{approved_waiting}}</a></dd>
            <dt>Proposed refunds</dt><dd><a href="/console/refunds?status=proposed">review</a></dd>
            <dt>Last run</dt><dd class="{{last_run_class}}">{{last_run}}</dd></dl></div>
        </div>
        <h2>Open exceptions</h2>
        {{#has_exceptions}}
        <table><thead><tr><th>Kind</th><th class="num">Open</th></tr></thead><tbody>
        {{#open_exceptions}}<tr><td><a href="/console/exceptions?kind={{kind}}&amp;status=open">{{kind}}</a></td><td class="num">{{count}}</td></tr>{{/open_exceptions}}
        </tbody></table>
        {{/has_exceptions}}
        {{^has_exceptions}}<p class="muted">None open.</p>{{/has_exceptions}}
        """

    static let payments = """
        <h1>Payments</h1>
        <form class="search" method="get" action="/console/payments">
          <input type="search" name="q" value="{{q}}" placeholder="Receipt, CheckoutRequestID, learner email or name, course, last 4+ digits of a phone" aria-label="Search payments">
          <button type="submit">Search</button>
        </form>
        {{#searched}}
        {{#has_results}}
        <table><thead><tr><th>ID</th><th>Created</th><th>Learner</th><th>Course</th><th>Phone</th><th class="num">Amount</th><th>Status</th><th>Receipt</th></tr></thead><tbody>
        {{#results}}<tr><td><a href="/console/payments/{{id}}">{{id}}</a></td><td>{{created}}</td><td>{{learner}}</td><td>{{course}}</td><td>{{phone}}</td><td class="num">{{amount}}</td><td><span class="status {{status}}">{{status}}</span></td><td>{{receipt}}</td></tr>{{/results}}
        </tbody></table>
        {{/has_results}}
        {{^has_results}}<p class="muted">No payment matches “{{q}}”.</p>{{/has_results}}
        {{/searched}}
        """

    static let payment = """
        <h1>Payment {{id}} <span class="status {{status}}">{{status}}</span></h1>
        <div class="cards">
        <div class="card wide"><dl>
          <dt>Learner</dt><dd>{{learner}}</dd><dt>Course</dt><dd>{{course}}</dd>
          <dt>Amount</dt><dd class="amount">{{amount}}</dd><dt>Paid</dt><dd class="amount">{{paid_amount}}</dd>
          <dt>Phone</dt><dd>{{phone}}</dd><dt>M-Pesa receipt</dt><dd>{{receipt}}</dd>
          <dt>CheckoutRequestID</dt><dd class="mono">{{checkout}}</dd><dt>Created</dt><dd>{{created}}</dd>
          <dt>Settled via</dt><dd>{{settled_via}}</dd><dt>Last answer</dt><dd>{{last_answer}}</dd>
          <dt>Enrollment</dt><dd>{{enrollment}}</dd>
        </dl></div>
        </div>
        <h2>History</h2>
        <table><thead><tr><th>When</th><th>Source</th><th>From</th><th>To</th><th>Detail</th></tr></thead><tbody>
        {{#events}}<tr><td>{{at}}</td><td>{{source}}</td><td>{{from}}</td><td>{{to}}</td><td class="mono small">{{detail}}</td></tr>{{/events}}
        </tbody></table>
        <h2>Callbacks</h2>
        {{#has_callbacks}}<table><thead><tr><th>ID</th><th>Received</th><th>Outcome</th><th></th></tr></thead><tbody>
        {{#callbacks}}<tr><td>{{id}}</td><td>{{received}}</td><td>{{outcome}}</td><td><a href="/console/callbacks/{{id}}">raw body</a></td></tr>{{/callbacks}}
        </tbody></table>{{/has_callbacks}}
        {{^has_callbacks}}<p class="muted">No callback was received for this payment.</p>{{/has_callbacks}}
        <h2>Refunds</h2>
        {{#has_refunds}}<table><thead><tr><th>ID</th><th class="num">Amount</th><th>Status</th><th>Proposed by</th><th>Reason</th></tr></thead><tbody>
        {{#refunds}}<tr><td><a href="/console/refunds/{{id}}">{{id}}</a></td><td class="num">{{amount}}</td><td><span class="status {{status}}">{{status}}</span></td><td>{{proposed_by}}</td><td>{{reason}}</td></tr>{{/refunds}}
        </tbody></table>{{/has_refunds}}
        {{^has_refunds}}<p class="muted">No refunds.</p>{{/has_refunds}}
        {{#is_admin}}
        {{#completed}}
        <h2>Propose a refund</h2>
        <form class="inline" method="post" action="/console/refunds">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <input type="hidden" name="payment_id" value="{{id}}">
          <label>Amount (KES) <input name="amount" inputmode="decimal" required value="{{refundable}}"></label>
          <label>Reason <input name="reason" required size="40"></label>
          <button type="submit">Propose refund</button>
        </form>
        <p class="muted">Another admin approves it; <code>run</code> sends it.</p>
        {{/completed}}
        {{#unknown}}
        <h2>Decide this payment</h2>
        <p>M-Pesa's answer was not understood. Record what the evidence (the M-Pesa statement, the learner's SMS) shows;
        a second admin must confirm the same decision before the payment changes.</p>
        {{#open_decision}}<p class="notice">Waiting for confirmation: {{open_decision}}</p>{{/open_decision}}
        <form class="inline" method="post" action="/console/payments/{{id}}/decide">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <input type="hidden" name="verdict" value="paid">
          <label>M-Pesa receipt <input name="receipt" required pattern="[A-Za-z0-9]{8,12}"></label>
          <button type="submit">Paid: complete and enroll</button>
        </form>
        <form class="inline" method="post" action="/console/payments/{{id}}/decide">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <input type="hidden" name="verdict" value="not_paid">
          <button type="submit" class="danger">Not paid: mark failed</button>
        </form>
        {{/unknown}}
        {{/is_admin}}
        """

    static let callback = """
        <h1>Callback {{id}} <span class="muted">{{kind}}, {{outcome}}</span></h1>
        <p class="muted">Received {{received}}. The body exactly as it arrived (bytes that are not UTF-8 shown as \\ooo).</p>
        <pre class="raw">{{body}}</pre>
        """

    static let refunds = """
        <h1>Refunds</h1>
        <form class="filters" method="get" action="/console/refunds">
          <label>Status <select name="status">
            {{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}
          </select></label>
          <button type="submit">Filter</button>
        </form>
        {{#has_refunds}}<table><thead><tr><th>ID</th><th>Payment</th><th class="num">Amount</th><th>Status</th><th>Proposed by</th><th>Proposed</th><th>Reason</th></tr></thead><tbody>
        {{#refunds}}<tr><td><a href="/console/refunds/{{id}}">{{id}}</a></td><td><a href="/console/payments/{{payment_id}}">{{payment_id}}</a></td><td class="num">{{amount}}</td><td><span class="status {{status}}">{{status}}</span></td><td>{{proposed_by}}</td><td>{{proposed_at}}</td><td>{{reason}}</td></tr>{{/refunds}}
        </tbody></table>{{/has_refunds}}
        {{^has_refunds}}<p class="muted">No refunds.</p>{{/has_refunds}}
        """

    static let refund = """
        <h1>Refund {{id}} <span class="status {{status}}" id="refund-status">{{status}}</span></h1>
        <div class="cards"><div class="card wide"><dl>
          <dt>Payment</dt><dd><a href="/console/payments/{{payment_id}}">{{payment_id}}</a></dd>
          <dt>Amount</dt><dd class="amount">{{amount}}</dd><dt>To</dt><dd>{{phone}}</dd>
          <dt>Reason</dt><dd>{{reason}}</dd>
          <dt>Proposed</dt><dd>{{proposed_by}}, {{proposed_at}}</dd>
          <dt>Approved</dt><dd>{{approved}}</dd>
          {{#needs_two}}<dt>Second approval</dt><dd>{{second_approved}}</dd>{{/needs_two}}
          {{#rejected}}<dt>Rejected</dt><dd>{{rejected}}</dd>{{/rejected}}
          <dt>M-Pesa</dt><dd>{{mpesa}}</dd>
          {{#exception_id}}<dt>Finding</dt><dd><a href="/console/exceptions/{{exception_id}}">exception {{exception_id}}</a></dd>{{/exception_id}}
        </dl></div></div>
        {{#is_admin}}
        {{#may_decide}}
        <div class="actions">
        <form class="inline" method="post" action="/console/refunds/{{id}}/approve">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" id="approve">Approve</button>
        </form>
        <form class="inline" method="post" action="/console/refunds/{{id}}/reject">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <label>Reason <input name="reason" required></label>
          <button type="submit" class="danger">Reject</button>
        </form>
        </div>
        {{/may_decide}}
        {{#own_proposal}}<p class="muted">You proposed this refund: another admin approves or rejects it.</p>{{/own_proposal}}
        {{#may_cancel}}
        <form class="inline" method="post" action="/console/refunds/{{id}}/cancel">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <label>Reason <input name="reason" required></label>
          <button type="submit" class="danger">Cancel (not sent yet)</button>
        </form>
        {{/may_cancel}}
        {{/is_admin}}
        """

    static let exceptions = """
        <h1>Exceptions</h1>
        <form class="filters" method="get" action="/console/exceptions">
          <label>Kind <select name="kind">
            {{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}
          </select></label>
          <label>Status <select name="status">
            {{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}
          </select></label>
          <button type="submit">Filter</button>
        </form>
        {{#has_exceptions}}<table id="exceptions"><thead><tr><th>ID</th><th>Kind</th><th>Status</th><th>Payment</th><th>First seen</th><th>Finding</th></tr></thead><tbody>
        {{#exceptions}}<tr><td><a href="/console/exceptions/{{id}}">{{id}}</a></td><td>{{kind}}</td><td>{{status}}</td><td>{{#payment_id}}<a href="/console/payments/{{payment_id}}">{{payment_id}}</a>{{/payment_id}}</td><td>{{first_seen}}</td><td>{{summary}}</td></tr>{{/exceptions}}
        </tbody></table>{{/has_exceptions}}
        {{^has_exceptions}}<p class="muted">No exceptions.</p>{{/has_exceptions}}
        """

    static let exception = """
        <h1>Exception {{id}} <span class="muted">{{kind}}, {{status}}</span></h1>
        <div class="cards"><div class="card wide"><dl>
          <dt>Finding</dt><dd>{{summary}}</dd>
          {{#payment_id}}<dt>Payment</dt><dd><a href="/console/payments/{{payment_id}}">{{payment_id}}</a></dd>{{/payment_id}}
          {{#refund_id}}<dt>Refund</dt><dd><a href="/console/refunds/{{refund_id}}">{{refund_id}}</a></dd>{{/refund_id}}
          <dt>First seen</dt><dd>{{first_seen}}</dd><dt>Last seen</dt><dd>{{last_seen}}</dd>
          {{#resolution}}<dt>Resolution</dt><dd>{{resolution}} ({{resolved_by}}, {{resolved_at}})</dd>{{/resolution}}
        </dl></div></div>
        {{#is_admin}}{{#open}}
        <form method="post" action="/console/exceptions/{{id}}/resolve">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <label>Note <textarea name="note" required rows="3" cols="60"></textarea></label>
          <button type="submit">Resolve</button>
        </form>
        {{/open}}{{/is_admin}}
        """

    static let reports = """
        <h1>Reports</h1>
        <form class="inline" method="post" action="/console/reports">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <label>From <input type="date" name="from" value="{{default_from}}" required></label>
          <label>To <input type="date" name="to" value="{{default_to}}" required></label>
          {{#is_admin}}<label><input type="checkbox" name="unmasked" value="1"> Full phone numbers</label>{{/is_admin}}
          <button type="submit">Generate</button>
        </form>
        <p class="muted">Reports are written in the background; this page lists them as they appear.</p>
        {{#has_requests}}
        <h2>Requested here</h2>
        <table id="requests"><thead><tr><th>ID</th><th>Period</th><th>By</th><th>Asked</th><th>Status</th></tr></thead><tbody>
        {{#requests}}<tr><td>{{id}}</td><td>{{period}}</td><td>{{by}}</td><td>{{asked}}</td><td><span class="status {{status}}">{{status}}</span> {{error}}</td></tr>{{/requests}}
        </tbody></table>
        {{/has_requests}}
        <h2>Written</h2>
        {{#has_folders}}
        {{#folders}}
        <div class="report" data-period="{{period}}">
          <h3>{{period}}{{#unmasked}} <span class="status unknown">full phone numbers</span>{{/unmasked}} <span class="muted">{{written}}</span></h3>
          <ul>{{#files}}<li><a href="{{href}}">{{name}}</a> <span class="muted">{{size}}</span></li>{{/files}}</ul>
        </div>
        {{/folders}}
        {{/has_folders}}
        {{^has_folders}}<p class="muted">No reports yet.</p>{{/has_folders}}
        """

    static let audit = """
        <h1>Audit log</h1>
        <table id="audit"><thead><tr><th>When</th><th>Who</th><th>Via</th><th>From</th><th>What</th><th>Subject</th><th>Detail</th></tr></thead><tbody>
        {{#entries}}<tr><td>{{at}}</td><td>{{who}}</td><td>{{channel}}</td><td>{{origin}}</td><td>{{action}}</td><td>{{#href}}<a href="{{href}}">{{subject}}</a>{{/href}}{{^href}}{{subject}}{{/href}}</td><td class="small">{{detail}}</td></tr>{{/entries}}
        </tbody></table>
        {{#older}}<p><a href="/console/audit?before={{older}}">Older entries</a></p>{{/older}}
        """

    static let stylesheet = """
        :root { --ink: #1d2433; --muted: #5d6678; --line: #d9dde5; --bg: #f6f7f9; --accent: #0b6e4f; --bad: #b42318; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
        header.top { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #fff; border-bottom: 1px solid var(--line); }
        .brand { font-weight: 700; color: var(--accent); text-decoration: none; }
        nav { display: flex; gap: 16px; flex: 1; }
        nav a { color: var(--ink); text-decoration: none; }
        nav a:hover { color: var(--accent); }
        form.logout { display: flex; gap: 8px; align-items: center; margin: 0; }
        .who { color: var(--muted); }
        main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 32px; }
        footer { max-width: 1180px; margin: 0 auto; padding: 0 24px 24px; color: var(--muted); font-size: 12px; }
        h1 { font-size: 22px; margin: 8px 0 16px; }
        h2 { font-size: 16px; margin: 24px 0 8px; }
        h3 { font-size: 14px; margin: 12px 0 4px; }
        .muted { color: var(--muted); font-weight: normal; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
        .card.wide { grid-column: 1 / -1; }
        .card h2 { margin-top: 0; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
        dt { color: var(--muted); } dd { margin: 0; }
        .amount { font-variant-numeric: tabular-nums; } .strong { font-weight: 700; }
        table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #eef0f4; font-weight: 600; font-size: 12px; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .mono { font-family: ui-monospace, Menlo, monospace; } .small { font-size: 12px; }
        .status { display: inline-block; padding: 0 8px; border-radius: 10px; background: #e8eaef; font-size: 12px; }
        .status.completed, .status.succeeded, .status.done, .status.approved { background: #dcf3e8; color: #0b6e4f; }
        .status.failed, .status.rejected { background: #fde3e1; color: var(--bad); }
        .status.unknown, .status.proposed, .status.queued, .status.running, .status.sending, .status.sent { background: #fff1cc; color: #7a5200; }
        .notice { background: #e7f5ee; border: 1px solid #b6e0cb; padding: 8px 12px; border-radius: 4px; }
        .error { background: #fdecea; border: 1px solid #f5c2bd; padding: 8px 12px; border-radius: 4px; color: var(--bad); }
        form.inline, form.filters, form.search { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin: 8px 0 12px; }
        form.search input[type=search] { flex: 1; min-width: 320px; }
        label { display: flex; flex-direction: column; gap: 2px; font-size: 12px; color: var(--muted); }
        input, select, textarea { font: inherit; padding: 5px 8px; border: 1px solid #b8bfcc; border-radius: 4px; color: var(--ink); }
        button { font: inherit; padding: 6px 14px; border: 0; border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
        button.danger { background: var(--bad); }
        button.link { background: none; color: var(--accent); padding: 0; }
        .actions { display: flex; gap: 24px; flex-wrap: wrap; }
        section.login { max-width: 380px; margin: 48px auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 20px 24px; }
        section.login form { display: flex; flex-direction: column; gap: 12px; }
        pre.raw { background: #fff; border: 1px solid var(--line); padding: 12px; white-space: pre-wrap; word-break: break-all; }
        .report ul { margin: 4px 0 12px; }
        """
}

/// Renders the templates (compiled once at start).
struct ConsolePages: Sendable {
    let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        for (name, text) in ConsoleTemplates.all { try library.register(text, named: name) }
        self.library = library
    }

    func render(_ name: String, _ values: [String: Any]) -> String {
        library.render(values, withTemplate: name) ?? ""
    }
}
