using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>Strict UTF-8 for SASL fields: a malformed byte fails the exchange instead of becoming U+FFFD.</summary>
internal static class SaslText
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool TryDecode(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out string? text)
    {
        try
        {
            text = Strict.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = null;
            return false;
        }
    }

    public static byte[] Encode(string text) => Strict.GetBytes(text);
}
