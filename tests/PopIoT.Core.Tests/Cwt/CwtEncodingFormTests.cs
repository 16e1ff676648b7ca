using System;
using System.Reflection;

using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;

using Xunit;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;
using static PopIoT.Core.Tests.Cwt.CwtTestSupport;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cwt;

/// <summary>
/// The same claims in two CBOR forms (definite and indefinite-length map) read by the one reader must validate
/// to the same claims and the same cnf: the reader's fast heads and its checked path agree.
/// </summary>
public class CwtEncodingFormTests
{
    [Fact]
    public void Validation_results_are_the_same_for_definite_and_indefinite_claims_maps()
    {
        // End to end: a token whose claims map is definite and the same claims re-encoded
        // as an indefinite-length map validate to the same claims and the same cnf.
        using var b = Basic();
        b.SetIssuer("coaps://as.example.com");
        b.SetScope("temperature_g firmware_p");
        b.SetConfirmationKey(KeyEcdsa256Public());
        byte[] claims = b.Encode();
        var sfc = new Sfc.CborReader(claims);
        var w = new Sfc.CborWriter(Sfc.CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false);
        int n = sfc.ReadStartMap() ?? 0;
        w.WriteStartMap(null);
        for (int k = 0; k < 2 * n; k++)
        {
            w.WriteEncodedValue(sfc.ReadEncodedValue().Span);
        }

        w.WriteEndMap();
        byte[] indefinite = w.Encode();
        Assert.Equal(claims.Length + 1, indefinite.Length); // same head size, one break more

        var (v, _) = Mac0Pair(new TestClock(1500));
        using var mac0 = new CoseMac0(Managed, HmacKey());
        var fast = new CwtValidationResult();
        var slow = new CwtValidationResult();
        byte[] tokenFast = Mac0(mac0, claims);
        byte[] tokenSlow = Mac0(mac0, indefinite);
        Assert.Equal(CwtError.None, v.Validate(tokenFast, 0, tokenFast.Length, fast));
        Assert.Equal(CwtError.None, v.Validate(tokenSlow, 0, tokenSlow.Length, slow));
        Assert.Equal(CnfMethod.CoseKey, fast.Confirmation.Method);
        foreach (object[] pair in new[] { new object[] { slow.Claims, fast.Claims }, [slow.Confirmation, fast.Confirmation], [slow, fast] })
        {
            foreach (PropertyInfo p in pair[0].GetType().GetProperties(BindingFlags.Instance | BindingFlags.Public))
            {
                if (p.PropertyType == typeof(byte[]) || p.PropertyType.IsClass || p.Name == nameof(CwtClaims.MapLength))
                {
                    continue;
                }

                Assert.True(Equals(p.GetValue(pair[0]), p.GetValue(pair[1])), $"{p.DeclaringType!.Name}.{p.Name}: {p.GetValue(pair[0])} != {p.GetValue(pair[1])}");
            }
        }
    }

    private static byte[] Mac0(CoseMac0 mac0, byte[] payload)
    {
        byte[] out1 = new byte[payload.Length + 64];
        int n = mac0.Create(ByteRange.Of(payload), default(ByteRange), includeKid: false, tagged: true, ByteRange.Of(out1));
        return out1.AsSpan(0, n).ToArray();
    }
}
