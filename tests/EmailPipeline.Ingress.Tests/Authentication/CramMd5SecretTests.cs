using System.Security.Cryptography;
using System.Text;
using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class CramMd5SecretTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 17)]
    [InlineData(16, 55)]
    [InlineData(63, 56)]
    [InlineData(64, 64)]
    [InlineData(65, 200)]
    [InlineData(300, 1000)]
    public void Digest_from_stored_states_equals_HMACMD5_for_random_keys_and_messages(int keyLength, int messageLength)
    {
        for (int round = 0; round < 20; round++)
        {
            byte[] key = RandomNumberGenerator.GetBytes(keyLength);
            byte[] message = RandomNumberGenerator.GetBytes(messageLength);
            CramMd5Secret secret = CramMd5Secret.FromPassword(key);
            byte[] actual = new byte[16];

            secret.ComputeDigest(message, actual);

            Assert.Equal(HMACMD5.HashData(key, message), actual);
        }
    }

    [Fact]
    public void Rfc2195_example_digest_is_reproduced_from_the_stored_secret()
    {
        CramMd5Secret secret = CramMd5Secret.FromPassword("tanstaaftanstaaf");
        Assert.True(CramMd5Secret.TryParse(secret.Format(), out CramMd5Secret? stored));
        byte[] digest = new byte[16];

        stored.ComputeDigest("<1896.697170952@postoffice.reston.mci.net>"u8, digest);

        Assert.Equal("b913a602c7eda7a495b4e6e7334d3890", Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void Stored_form_is_the_dovecot_layout_outer_state_then_inner_state()
    {
        byte[] key = Encoding.UTF8.GetBytes("tanstaaftanstaaf");
        byte[] padded = new byte[64];
        key.CopyTo(padded, 0);
        byte[] outer = new byte[16];
        byte[] inner = new byte[16];
        Md5ChainingState.Initial.Absorb(padded.Select(b => (byte)(b ^ 0x5c)).ToArray()).WriteTo(outer);
        Md5ChainingState.Initial.Absorb(padded.Select(b => (byte)(b ^ 0x36)).ToArray()).WriteTo(inner);

        string formatted = CramMd5Secret.FromPassword("tanstaaftanstaaf").Format();

        Assert.Equal("{CRAM-MD5}" + Convert.ToHexStringLower([.. outer, .. inner]), formatted);
        Assert.DoesNotContain("tanstaaf", formatted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("{CRAM-MD5}abc")]
    [InlineData("zz0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd")]
    [InlineData("{PLAIN}tanstaaftanstaaf")]
    public void Malformed_secrets_are_rejected(string? text)
    {
        Assert.False(CramMd5Secret.TryParse(text, out _));
    }

    [Fact]
    public void Secret_without_the_dovecot_prefix_is_accepted()
    {
        string hex = CramMd5Secret.FromPassword("x").Format()["{CRAM-MD5}".Length..];

        Assert.True(CramMd5Secret.TryParse(hex.ToUpperInvariant(), out _));
    }
}
