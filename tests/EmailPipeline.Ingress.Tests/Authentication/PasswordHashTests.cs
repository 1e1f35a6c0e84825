using System.Text;
using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class PasswordHashTests
{
    [Fact]
    public void Hash_verifies_its_own_password_after_a_round_trip_through_text()
    {
        string text = PasswordHash.Create("s3cret-ä", 1_000).Format();

        Assert.True(PasswordHash.TryParse(text, out PasswordHash? hash));
        Assert.True(hash.Verify(Encoding.UTF8.GetBytes("s3cret-ä")));
    }

    [Fact]
    public void Hash_rejects_a_different_password()
    {
        PasswordHash hash = PasswordHash.Create("s3cret", 1_000);

        Assert.False(hash.Verify("s3creT"u8));
        Assert.False(hash.Verify(""u8));
    }

    [Fact]
    public void Default_hash_has_the_documented_shape()
    {
        string text = PasswordHash.Create("pw").Format();
        string[] parts = text.Split('$');

        Assert.StartsWith("$pbkdf2-sha256$210000$", text, StringComparison.Ordinal);
        Assert.Equal(16, Convert.FromBase64String(parts[3]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[4]).Length);
    }

    [Fact]
    public void Same_password_gets_a_different_salt_each_time()
    {
        Assert.NotEqual(PasswordHash.Create("pw", 1_000).Format(), PasswordHash.Create("pw", 1_000).Format());
    }

    [Fact]
    public void Known_vector_from_another_pbkdf2_implementation_verifies()
    {
        // Python: hashlib.pbkdf2_hmac("sha256", b"password", b"saltsaltsaltsalt", 1000).
        string text = "$pbkdf2-sha256$1000$" + Convert.ToBase64String("saltsaltsaltsalt"u8) + "$"
            + Convert.ToBase64String(Convert.FromHexString(Pbkdf2Vector));

        Assert.True(PasswordHash.TryParse(text, out PasswordHash? hash));
        Assert.True(hash.Verify("password"u8));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("plaintext")]
    [InlineData("$pbkdf2-sha1$1000$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==")]
    [InlineData("$pbkdf2-sha256$$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==")]
    [InlineData("$pbkdf2-sha256$0$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==")]
    [InlineData("$pbkdf2-sha256$-5$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==")]
    [InlineData("$pbkdf2-sha256$1000$not base64$aGFzaGhhc2hoYXNoaGFzaA==")]
    [InlineData("$pbkdf2-sha256$1000$c2FsdHNhbHQ=")]
    [InlineData("$pbkdf2-sha256$1000$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==$extra")]
    [InlineData("$pbkdf2-sha256$1000$c2E=$aGFzaGhhc2hoYXNoaGFzaA==")]
    public void Malformed_hashes_are_rejected(string? text)
    {
        Assert.False(PasswordHash.TryParse(text, out _));
    }

    [Fact]
    public void Decoy_hash_matches_no_password()
    {
        PasswordHash decoy = PasswordHash.Decoy(1_000);

        Assert.Equal(1_000, decoy.Iterations);
        Assert.False(decoy.Verify(""u8));
        Assert.False(decoy.Verify("password"u8));
    }

    private const string Pbkdf2Vector = "f275fb870144cc807c68f6a325360af3078741ce4d833d2915500abd2bb88d00";
}
