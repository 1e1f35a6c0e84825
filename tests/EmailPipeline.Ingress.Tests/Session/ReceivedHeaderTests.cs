using System.Net;
using System.Text;
using EmailPipeline.Ingress.Queueing;

namespace EmailPipeline.Ingress.Tests.Session;

public sealed class ReceivedHeaderTests
{
    private static readonly DateTimeOffset When = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static string Build(string helo = "client.example", string ip = "192.0.2.1", bool extended = true, string? tls = null,
        bool auth = false, bool utf8 = false, string? rcpt = "user@example.test") =>
        Encoding.UTF8.GetString(ReceivedHeader.Build(helo, IPAddress.Parse(ip), "mx.example.test", extended, tls, tls is null ? null : "TLS_AES_256_GCM_SHA384", auth, utf8, "01ABC", rcpt, When));

    [Fact]
    public void Plain_esmtp_header_follows_rfc_5321_stamp()
    {
        Assert.Equal(
            "Received: from client.example (unknown [192.0.2.1])\r\n\tby mx.example.test (EmailPipeline) with ESMTP id 01ABC\r\n\tfor <user@example.test>; Mon, 23 Nov 2026 10:00:00 +0000\r\n",
            Build());
    }

    [Theory]
    [InlineData(false, null, false, false, "with SMTP id")]
    [InlineData(true, "TLSv1.3", false, false, "with ESMTPS (TLSv1.3 cipher TLS_AES_256_GCM_SHA384) id")]
    [InlineData(true, "TLSv1.2", true, false, "with ESMTPSA (TLSv1.2 cipher")]
    [InlineData(true, null, true, false, "with ESMTPA id")]
    [InlineData(true, "TLSv1.3", true, true, "with UTF8SMTPSA (")]
    public void Protocol_keyword_follows_rfc_3848_and_6531(bool extended, string? tls, bool auth, bool utf8, string expected) =>
        Assert.Contains(expected, Build(extended: extended, tls: tls, auth: auth, utf8: utf8), StringComparison.Ordinal);

    [Fact]
    public void Several_recipients_are_not_listed_and_ipv6_is_a_literal()
    {
        string header = Build(ip: "2001:db8::5", rcpt: null);
        Assert.DoesNotContain("for <", header, StringComparison.Ordinal);
        Assert.Contains("[IPv6:2001:db8::5]", header, StringComparison.Ordinal);
        Assert.Contains("[192.0.2.9]", Build(ip: "::ffff:192.0.2.9"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_hostile_helo_cannot_break_the_header()
    {
        string header = Build(helo: "evil)\r\nBcc: x@y; (");
        Assert.StartsWith("Received: from evilBcc:x@y (unknown", header, StringComparison.Ordinal);
        Assert.Equal(3, header.Split("\r\n").Length - 1);
    }
}
