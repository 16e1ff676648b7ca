using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Core.Tests.Cbor;

using Xunit;
using Xunit.Abstractions;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;
using static PopIoT.Core.Tests.Cwt.CwtTestSupport;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cwt;

/// <summary>
/// The direct paths of the COSE header parser, the claims parser and the cnf parser against the checked
/// paths behind them (private methods, reached by reflection): on valid, edge-case and mutated inputs,
/// whenever a direct path accepts, the checked path must accept the same bytes and leave exactly the same
/// state (every public property, every unknown claim). The direct paths must also take the common forms,
/// or they would be dead weight.
/// </summary>
public class DirectPathDifferentialTests
{
    private const int Seed = 20261202;
    private const int Cases = 40_000;
    private const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;

    private static readonly Type ParserType = typeof(CoseMac0).Assembly.GetType("PopIoT.Core.Cose.CoseMessageParser", throwOnError: true)!;

    private readonly ITestOutputHelper _output;

    public DirectPathDifferentialTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Cose_header_direct_path_agrees_with_the_checked_path()
    {
        byte[][] seeds = CoseSeeds();
        object direct = Activator.CreateInstance(ParserType, nonPublic: true)!;
        object check = Activator.CreateInstance(ParserType, nonPublic: true)!;
        var rng = new Random(Seed);
        int taken = 0;
        int seedsTaken = 0;
        for (int i = 0; i < Cases; i++)
        {
            byte[] seed = seeds[i % seeds.Length];
            byte[] data = i < seeds.Length ? seed : CwtFuzzTests.Mutate(rng, seed);
            int prefix = rng.Next(3);
            byte[] window = new byte[prefix + data.Length + rng.Next(3)];
            rng.NextBytes(window);
            Array.Copy(data, 0, window, prefix, data.Length);
            // Mostly the type the seed is; sometimes another, which the direct path must leave to the checked one.
            int type = i >= seeds.Length && rng.Next(3) == 0 ? rng.Next(3) : seed[0] switch { 0xd2 => 2, 0xd0 or 0x83 => 1, _ => 0 };
            (int tag, int items) = type switch { 0 => (CoseTag.Mac0, 4), 1 => (CoseTag.Encrypt0, 3), _ => (CoseTag.Sign1, 4) };
            bool requireTag = i >= seeds.Length && rng.Next(4) == 0;

            Invoke(direct, "Clear", window);
            if (!(bool)Invoke(direct, "ParseDirect", window, prefix, data.Length, tag, items, requireTag)!)
            {
                continue;
            }

            taken++;
            if (i < seeds.Length)
            {
                seedsTaken++;
            }

            Invoke(check, "Clear", window);
            CoseError e;
            try
            {
                e = (CoseError)Invoke(check, "ParseStructure", window, prefix, data.Length, tag, items, requireTag)!;
                if (e == CoseError.None)
                {
                    e = (CoseError)Invoke(check, "CheckCrit", new object?[] { null })!;
                }
            }
            catch (CborException)
            {
                e = CoseError.Malformed;
            }

            Assert.True(e == CoseError.None, $"case {i} tag {tag} {Convert.ToHexStringLower(data)}: direct accepted, checked path says {e}");
            foreach (FieldInfo f in ParserType.GetFields(Private).Where(f => f.IsAssembly))
            {
                Assert.True(Equals(f.GetValue(check), f.GetValue(direct)), $"case {i} {Convert.ToHexStringLower(data)}: {f.Name} {f.GetValue(check)} != {f.GetValue(direct)}");
            }
        }

        _output.WriteLine($"direct path took {taken} of {Cases} ({seedsTaken} seeds)");
        Assert.True(seedsTaken >= 4, $"only {seedsTaken} of the plain seeds took the direct path");
    }

    [Fact]
    public void Claims_and_cnf_direct_paths_agree_with_the_checked_paths()
    {
        List<byte[]> seeds = ClaimsSeeds();
        var rng = new Random(Seed + 1);
        var gen = new RandomCbor(Seed + 2) { MaxDepth = 3 };
        byte[] scratch = new byte[4096];
        var direct = new CwtClaims();
        var check = new CwtClaims();
        CwtConfirmation cnfDirect = NewConfirmation();
        CwtConfirmation cnfCheck = NewConfirmation();
        CwtConfirmation cnfAlone = NewConfirmation();
        var reader = new CborReader(new byte[1], 0, 0, CwtLimits.MaxDepth);
        int taken = 0;
        int cnfTaken = 0;
        int seedsTaken = 0;
        for (int i = 0; i < Cases; i++)
        {
            byte[] data = i < seeds.Count ? seeds[i] : (i % 5) switch
            {
                0 => WithRandomClaim(gen, scratch, seeds[rng.Next(seeds.Count)]),
                _ => CwtFuzzTests.Mutate(rng, seeds[rng.Next(seeds.Count)]),
            };
            int prefix = rng.Next(3);
            byte[] window = new byte[prefix + data.Length + rng.Next(3)];
            rng.NextBytes(window);
            Array.Copy(data, 0, window, prefix, data.Length);
            bool encrypted = rng.Next(2) == 0;
            bool withCnf = rng.Next(2) == 0;

            // The checked path alone (what Parse falls back to).
            check.Reset();
            CwtError expected;
            try
            {
                expected = (CwtError)Invoke(check, "ParseCore", window, prefix, data.Length)!;
            }
            catch (CborException)
            {
                expected = CwtError.Malformed;
            }

            // The direct path alone, with or without the confirmation to fill during the pass.
            direct.Reset();
            Invoke(cnfDirect, "Reset");
            typeof(CwtClaims).GetField("_confirmation", Private)!.SetValue(direct, withCnf ? cnfDirect : null);
            typeof(CwtClaims).GetField("_encrypted", Private)!.SetValue(direct, encrypted);
            bool took = (bool)Invoke(direct, "ParseDirect", window, prefix, data.Length)!;
            typeof(CwtClaims).GetField("_confirmation", Private)!.SetValue(direct, null);
            if (took)
            {
                taken++;
                seedsTaken += i < seeds.Count ? 1 : 0;
                Assert.True(expected == CwtError.None, $"case {i} {Convert.ToHexStringLower(data)}: direct accepted, checked path says {expected}");
                AssertSameClaims(check, direct, i, data);
                if (withCnf && IsParsed(cnfDirect))
                {
                    cnfTaken++;
                    CwtError ce = CheckedCnf(cnfCheck, reader, window, check.CnfOffset, check.CnfLength, encrypted);
                    Assert.True(ce == CwtError.None, $"case {i} {Convert.ToHexStringLower(data)}: cnf taken in the claims pass, checked cnf says {ce}");
                    AssertSameProperties(cnfCheck, cnfDirect, i, data);
                }
                else
                {
                    Assert.False(IsParsed(cnfDirect));
                    Assert.Equal(CnfMethod.None, cnfDirect.Method);
                }
            }

            // The cnf direct path on its own (CwtConfirmation.Parse's first try) on every cnf the checked claims found.
            if (expected == CwtError.None && check.Has(CwtClaimKey.Cnf))
            {
                Invoke(cnfAlone, "Reset");
                int end = check.CnfOffset + check.CnfLength;
                if ((int)Invoke(cnfAlone, "ParseDirect", window, check.CnfOffset, end, encrypted, CwtLimits.MaxDepth)! == end)
                {
                    CwtError ce = CheckedCnf(cnfCheck, reader, window, check.CnfOffset, check.CnfLength, encrypted);
                    Assert.True(ce == CwtError.None, $"case {i} {Convert.ToHexStringLower(data)}: cnf direct accepted, checked cnf says {ce}");
                    AssertSameProperties(cnfCheck, cnfAlone, i, data);
                }
            }
        }

        _output.WriteLine($"claims direct path took {taken} of {Cases} ({seedsTaken} of {seeds.Count} seeds), cnf in the claims pass {cnfTaken}");
        Assert.True(seedsTaken >= seeds.Count / 2, $"only {seedsTaken} of {seeds.Count} seeds took the direct path");
        Assert.True(cnfTaken > 100);
    }

    [Fact]
    public void Validation_results_are_the_same_whichever_path_reads_the_token()
    {
        // End to end: a token whose claims take the direct path and the same claims re-encoded so they cannot
        // (an indefinite-length map) validate to the same claims and the same cnf.
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
        int n = mac0.Create(payload, 0, payload.Length, null, 0, 0, includeKid: false, tagged: true, out1, 0, out1.Length);
        return out1.AsSpan(0, n).ToArray();
    }

    private static byte[][] CoseSeeds()
    {
        byte[] k = Vector("A.2.2_k_hex");
        byte[] alg5 = [0xa1, 0x01, 0x05];
        return
        [
            StripCwtTag(Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex")),
            Vector("A.3_signed_cwt_sign1_es256_hex"),
            Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex"),
            HandMadeMac0(k, alg5, w => { w.WriteStartMap(1); w.WriteInt32(4); w.WriteByteString([1, 2]); w.WriteEndMap(); }, [0xa0]),
            HandMadeMac0(k, alg5, w => { w.WriteStartMap(2); w.WriteInt32(6); w.WriteByteString([7]); w.WriteInt32(3); w.WriteInt32(60); w.WriteEndMap(); }, [1, 2, 3], tag: null),
            HandMadeMac0(k, [], w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteInt32(5); w.WriteEndMap(); }, [1]),
            HandMadeMac0(k, alg5, w => { w.WriteStartMap(2); w.WriteInt32(5); w.WriteByteString(new byte[13]); w.WriteInt32(6); w.WriteByteString([1]); w.WriteEndMap(); }, [1]),
            HandMadeMac0(k, Map(w => { w.WriteStartMap(2); w.WriteInt32(1); w.WriteInt32(5); w.WriteInt32(2); w.WriteStartArray(1); w.WriteInt32(4); w.WriteEndArray(); w.WriteEndMap(); }), w => { w.WriteStartMap(1); w.WriteInt32(4); w.WriteByteString([1]); w.WriteEndMap(); }, [1]),
            HandMadeMac0(k, Map(w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteTextString("x"); w.WriteEndMap(); }), w => { w.WriteStartMap(0); w.WriteEndMap(); }, [1]),
            HandMadeMac0(k, alg5, w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteInt32(5); w.WriteEndMap(); }, [1]),
            HandMadeMac0(k, alg5, w => { w.WriteStartMap(1); w.WriteTextString("kid"); w.WriteByteString([1]); w.WriteEndMap(); }, [1]),
            HandMadeMac0(k, Map(w => { w.WriteStartMap(2); w.WriteInt32(1); w.WriteInt32(5); w.WriteInt32(1); w.WriteInt32(5); w.WriteEndMap(); }), w => { w.WriteStartMap(0); w.WriteEndMap(); }, [1]),
            HandMadeMac0(k, Map(w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteUInt64(1UL << 40); w.WriteEndMap(); }), w => { w.WriteStartMap(0); w.WriteEndMap(); }, [1]),
            HandMadeMac0(k, alg5, w => { w.WriteStartMap(1); w.WriteInt32(4); w.WriteByteString(new byte[65]); w.WriteEndMap(); }, new byte[300]),
        ];
    }

    private static List<byte[]> ClaimsSeeds()
    {
        var seeds = new List<byte[]> { Claims, StripCwtTag(Vector("A.7_maced_cwt_float_iat_hex")) };
        using var b = Basic();
        b.SetIssuer("coaps://as.example.com");
        b.SetSubject("client\u00e9");
        b.SetNotBefore(1);
        b.SetIssuedAt(-5);
        b.SetCti([1, 2, 3]);
        b.SetScope("r w");
        b.SetAceProfile(2);
        b.SetCnonce([9, 9]);
        b.SetExi(3600);
        b.SetClaim(-5, [0x82, 0x01, 0xf9, 0x3c, 0x00]);
        b.SetClaim(1000, [0x63, 0x61, 0x62, 0x63]);
        b.SetClaim(long.MinValue, [0xf6]);
        b.SetConfirmationKey(KeyEcdsa256Public());
        seeds.Add(b.Encode());
        b.SetAudiences(["a", "b\u00fc", "c"]);
        b.SetScopeEncoded([0x82, 0x82, 0x61, 0x61, 0x01, 0x82, 0x61, 0x62, 0x02]);
        b.SetConfirmationKid([7, 7, 7]);
        seeds.Add(b.Encode());
        b.SetScopeBytes([0xff, 0x00]);
        b.SetConfirmationKey(CoseKey.Symmetric(Filled(16, 3), CoseAlgorithm.AesCcm16_64_128.Id, [4]));
        seeds.Add(b.Encode());
        b.SetConfirmationKey(CoseKey.OkpEd25519(Filled(32, 5), null, CoseAlgorithm.EdDSA.Id, null));
        seeds.Add(b.Encode());
        b.SetConfirmationOscore([1], Filled(16, 2), 1, -10, 10, [3], [4]);
        seeds.Add(b.Encode());

        // Hand-made edge forms: text keys, non-preferred heads, depth at and past the limit, floats, an
        // indefinite map, duplicates, huge keys, a cnf with extra members and a COSE_Key with unusual labels.
        seeds.Add(Encode(w => { w.WriteStartMap(3); w.WriteTextString("x"); w.WriteInt32(1); w.WriteTextString("y"); w.WriteStartArray(0); w.WriteEndArray(); w.WriteInt32(3); w.WriteTextString(Aud); w.WriteEndMap(); }));
        seeds.Add(Convert.FromHexString("a2180363617564180443000000"));
        seeds.Add(Convert.FromHexString("a2036161" + "1864" + "8181818181818100"));
        seeds.Add(Convert.FromHexString("a2036161" + "1864" + "818181818181818100"));
        seeds.Add(Convert.FromHexString("a20361610bfa4f000000"));
        // COSE_Keys for cnf's small-key path (one-byte labels -4..3): d present, label 0, alg as a bstr, kid as an
        // integer, y as a boolean, an empty x, OKP without y, a minimal EC2 key, ES256, a duplicate kty.
        seeds.Add(Convert.FromHexString("a203616108a101a501022001215820111111111111111111111111111111111111111111111111111111111111111122582022222222222222222222222222222222222222222222222222222222222222222358203333333333333333333333333333333333333333333333333333333333333333")); // EC2 with d
        seeds.Add(Convert.FromHexString("a203616108a101a501020005200121582011111111111111111111111111111111111111111111111111111111111111112258202222222222222222222222222222222222222222222222222222222222222222")); // label 0
        seeds.Add(Convert.FromHexString("a203616108a101a50102034107200121582011111111111111111111111111111111111111111111111111111111111111112258202222222222222222222222222222222222222222222222222222222222222222")); // alg as bstr
        seeds.Add(Convert.FromHexString("a203616108a101a501020207200121582011111111111111111111111111111111111111111111111111111111111111112258202222222222222222222222222222222222222222222222222222222222222222")); // kid as int
        seeds.Add(Convert.FromHexString("a203616108a101a401022001215820111111111111111111111111111111111111111111111111111111111111111122f5")); // y as true
        seeds.Add(Convert.FromHexString("a203616108a101a40102200121402258202222222222222222222222222222222222222222222222222222222222222222")); // empty x
        seeds.Add(Convert.FromHexString("a203616108a101a3010120062158201111111111111111111111111111111111111111111111111111111111111111")); // OKP without y
        seeds.Add(Convert.FromHexString("a203616108a101a40102200121582011111111111111111111111111111111111111111111111111111111111111112258202222222222222222222222222222222222222222222222222222222222222222")); // EC2 minimal (kty, crv, x, y)
        seeds.Add(Convert.FromHexString("a203616108a101a501022001215820111111111111111111111111111111111111111111111111111111111111111122582022222222222222222222222222222222222222222222222222222222222222220326")); // EC2 ES256
        seeds.Add(Convert.FromHexString("a203616108a101a6010220012158201111111111111111111111111111111111111111111111111111111111111111225820222222222222222222222222222222222222222222222222222222222222222203260107")); // duplicate kty
        seeds.Add(Convert.FromHexString("a2036161" + "04fb41d6b0a2b0000000"));
        seeds.Add(Convert.FromHexString("bf03616104011864c1f6ff"));
        seeds.Add(Convert.FromHexString("a303616104010401"));
        seeds.Add(Convert.FromHexString("a303616162787801627878" + "02"));
        seeds.Add(Convert.FromHexString("a2036161" + "1bffffffffffffffff01"));
        seeds.Add(Convert.FromHexString("a2036161" + "3bffffffffffffffff01"));
        seeds.Add(Convert.FromHexString("a2036161" + "1828" + "20"));
        seeds.Add(Convert.FromHexString("a2036161" + "08" + "a3" + "0143010203" + "05f6" + "6178a0"));
        seeds.Add(Convert.FromHexString("a2036161" + "08" + "a1" + "01" + "a6" + "0102" + "2001" + "215820" + new string('1', 64) + "225820" + new string('2', 64) + "1903e801" + "6161f4"));
        seeds.Add(Convert.FromHexString("a2036161" + "08" + "a1" + "01" + "a3" + "0104" + "2050" + new string('3', 32) + "0481" + "0a"));
        seeds.Add(Convert.FromHexString("a2036161" + "08" + "a2" + "0141aa" + "0343010203"));
        seeds.Add(Convert.FromHexString("a2036161" + "08" + "a1" + "1801" + "a3" + "0102" + "2001" + "2141aa"));
        return seeds;
    }

    private static byte[] WithRandomClaim(RandomCbor gen, byte[] scratch, byte[] claims)
    {
        var ours = new CborWriter(scratch);
        gen.WriteItem(ours, new Sfc.CborWriter(Sfc.CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false));
        var sfc = new Sfc.CborReader(claims, Sfc.CborConformanceMode.Lax);
        var w = new Sfc.CborWriter(Sfc.CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false);
        try
        {
            int n = sfc.ReadStartMap() ?? -1;
            if (n < 0)
            {
                return claims;
            }

            w.WriteStartMap(n + 1);
            for (int k = 0; k < 2 * n; k++)
            {
                w.WriteEncodedValue(sfc.ReadEncodedValue().Span);
            }
        }
        catch (Exception e) when (e is Sfc.CborContentException or InvalidOperationException)
        {
            return claims;
        }

        w.WriteInt32(-100 - gen.Random.Next(50));
        w.WriteEncodedValue(scratch.AsSpan(0, ours.BytesWritten));
        w.WriteEndMap();
        return w.Encode();
    }

    private static bool IsParsed(CwtConfirmation cnf) =>
        (bool)typeof(CwtConfirmation).GetProperty("IsParsed", Private)!.GetValue(cnf)!;

    private static CwtConfirmation NewConfirmation() =>
        (CwtConfirmation)Activator.CreateInstance(typeof(CwtConfirmation), Private, null, [new byte[64], new byte[64]], null)!;

    private static CwtError CheckedCnf(CwtConfirmation cnf, CborReader reader, byte[] buffer, int offset, int count, bool encrypted)
    {
        Invoke(cnf, "Reset");
        try
        {
            return (CwtError)Invoke(cnf, "ParseCore", reader, buffer, offset, count, encrypted, null)!;
        }
        catch (CborException)
        {
            return CwtError.Malformed;
        }
    }

    private static void AssertSameClaims(CwtClaims expected, CwtClaims actual, int i, byte[] data)
    {
        AssertSameProperties(expected, actual, i, data);
        for (int u = 0; u < expected.UnknownCount; u++)
        {
            expected.GetUnknown(u, out int ko, out int kl, out int vo, out int vl);
            actual.GetUnknown(u, out int ko2, out int kl2, out int vo2, out int vl2);
            Assert.Equal((ko, kl, vo, vl), (ko2, kl2, vo2, vl2));
        }

        foreach (long key in new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 38, 39, 40, -5, 1000, long.MinValue, -100 })
        {
            Assert.Equal(expected.Has(key), actual.Has(key));
        }
    }

    private static void AssertSameProperties(object expected, object actual, int i, byte[] data)
    {
        foreach (PropertyInfo p in expected.GetType().GetProperties(BindingFlags.Instance | BindingFlags.Public))
        {
            object? e = p.GetValue(expected);
            object? a = p.GetValue(actual);
            if (p.PropertyType == typeof(OscoreInputMaterial))
            {
                AssertSameProperties(e!, a!, i, data);
                continue;
            }

            bool same = p.PropertyType == typeof(byte[]) ? ReferenceEquals(e, a) : Equals(e, a);
            Assert.True(same, $"case {i} {Convert.ToHexStringLower(data)}: {expected.GetType().Name}.{p.Name} checked {e} direct {a}");
        }
    }

    private static object? Invoke(object target, string name, params object?[] args)
    {
        MethodInfo m = target.GetType().GetMethods(Private).Single(m => m.Name == name && m.GetParameters().Length == args.Length);
        try
        {
            return m.Invoke(target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}
