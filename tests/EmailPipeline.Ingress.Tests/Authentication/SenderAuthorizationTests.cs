using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class SenderAuthorizationTests
{
    private static readonly SenderAuthorization Authorization = new(TestAccounts.Directory(
    [
        new SmtpUser("alice@example.com", null, null, ["alice@example.com", "postmaster@example.net"]),
        new SmtpUser("lists@example.com", null, null, ["@lists.example.org", "<>"]),
        new SmtpUser("relay@example.com", null, null, ["*"]),
        new SmtpUser("nobody@example.com", null, null, []),
    ]));

    [Theory]
    [InlineData("alice@example.com", "alice@example.com", true)]
    [InlineData("ALICE@example.com", "alice@example.com", true)]
    [InlineData("alice@example.com", "Alice@EXAMPLE.com", true)]
    [InlineData("alice@example.com", "<alice@example.com>", true)]
    [InlineData("alice@example.com", "postmaster@example.net", true)]
    [InlineData("alice@example.com", "bob@example.com", false)]
    [InlineData("alice@example.com", "alice@example.com.evil.test", false)]
    [InlineData("alice@example.com", "", false)]
    [InlineData("lists@example.com", "announce@lists.example.org", true)]
    [InlineData("lists@example.com", "x@LISTS.example.org", true)]
    [InlineData("lists@example.com", "x@sub.lists.example.org", false)]
    [InlineData("lists@example.com", "x@example.org", false)]
    [InlineData("lists@example.com", "", true)]
    [InlineData("lists@example.com", "<>", true)]
    [InlineData("relay@example.com", "anyone@anywhere.test", true)]
    [InlineData("relay@example.com", "", false)]
    [InlineData("nobody@example.com", "nobody@example.com", false)]
    [InlineData("stranger@example.com", "stranger@example.com", false)]
    [InlineData("alice@example.com", "alice", false)]
    [InlineData("relay@example.com", "@example.com", false)]
    public void Sender_patterns_decide_which_addresses_a_user_may_use(string user, string sender, bool allowed)
    {
        Assert.Equal(allowed, Authorization.MaySendAs(user, sender));
    }

    [Theory]
    [InlineData("alice@example.com", true)]
    [InlineData("@example.org", true)]
    [InlineData("*", true)]
    [InlineData("<>", true)]
    [InlineData("", false)]
    [InlineData("alice", false)]
    [InlineData("alice@", false)]
    [InlineData("*@example.com", false)]
    [InlineData("alice@*.example.com", false)]
    public void Only_supported_pattern_shapes_are_valid(string pattern, bool valid)
    {
        Assert.Equal(valid, SenderAuthorization.IsValidPattern(pattern));
    }
}
