"""The demo business's SOPs, canned replies and question checklists, written for Layan."""

from __future__ import annotations

from layan.knowledge.models import Article, CannedReply, Checklist, ChecklistItem, Fault, Stage
from layan.knowledge.services import article_create
from layan.team.models import User

ARTICLES = [
    (
        "warna-cetak",
        Article.Kind.SOP,
        Article.Visibility.PUBLIC,
        "Perbedaan warna layar dan hasil cetak",
        "Warna di layar (RGB) dan di kertas (CMYK) tidak pernah sama persis. Karena itu setiap "
        "pesanan melewati proof cetak yang disetujui pelanggan sebelum produksi. Setelah proof "
        "disetujui, perbedaan warna yang masih dalam toleransi proof bukan cacat produksi. Untuk "
        "warna yang sangat penting (logo, warna merek) kami sarankan proof fisik.",
        "Screen colours versus printed colours",
        "Screen colours (RGB) and printed colours (CMYK) are never identical. Every order therefore "
        "goes through a print proof the customer approves before production. Once approved, colour "
        "differences within the proof's tolerance are not production defects. For critical colours "
        "(logos, brand colours) we recommend a physical proof.",
    ),
    (
        "pembatalan-pesanan",
        Article.Kind.POLICY,
        Article.Visibility.PUBLIC,
        "Pembatalan pesanan",
        "Pesanan dapat dibatalkan tanpa biaya sebelum masuk produksi. Setelah bahan dipotong, "
        "pembatalan dikenai biaya bahan 50%. Pesanan yang sudah selesai diproduksi tidak dapat "
        "dibatalkan, tetapi pengiriman dapat ditunda hingga 30 hari.",
        "Cancelling an order",
        "Orders can be cancelled free of charge before production starts. Once material is cut, "
        "cancellation costs 50% of the material. Finished orders cannot be cancelled, but delivery "
        "can be postponed for up to 30 days.",
    ),
    (
        "revisi-desain",
        Article.Kind.POLICY,
        Article.Visibility.PUBLIC,
        "Revisi desain",
        "Setiap kesepakatan mencantumkan jumlah revisi yang termasuk harga (biasanya dua). Revisi "
        "berikutnya dikenai biaya per revisi sesuai kesepakatan, dan kami selalu memberi tahu "
        "sebelum revisi berbayar dimulai.",
        "Design revisions",
        "Every agreement states how many revisions the price includes (usually two). Further "
        "revisions are charged per revision as agreed, and we always tell you before a paid "
        "revision starts.",
    ),
    (
        "keterlambatan-pengiriman",
        Article.Kind.SOP,
        Article.Visibility.INTERNAL,
        "Menangani keterlambatan pengiriman",
        "Kabari pelanggan sebelum tenggat bila ada risiko terlambat, beri tanggal baru yang pasti "
        "dan alasannya. Bila kesalahan di pihak kita: minta maaf, tawarkan kurir khusus tanpa biaya "
        "atau potongan 10% untuk pesanan berikutnya. Catat penyebabnya di catatan internal.",
        "",
        "",
    ),
    (
        "pengembalian-dana",
        Article.Kind.SOP,
        Article.Visibility.INTERNAL,
        "Pengembalian dana tagihan ganda",
        "Tagihan ganda dikembalikan paling lambat 3 hari kerja setelah dipastikan oleh tim "
        "keuangan. Berikan nomor referensi pengembalian kepada pelanggan.",
        "",
        "",
    ),
]

CANNED = [
    (
        "Dengarkan dulu",
        Stage.LISTEN,
        "complaint",
        "",
        "Halo {name}, terima kasih sudah menyampaikan ini kepada kami. Saya {owner} dan saya yang "
        "menangani tiket {ticket} sampai selesai. Boleh ceritakan lebih lengkap apa yang terjadi, "
        "kapan, dan dampaknya bagi {customer}?",
        "Hello {name}, thank you for telling us. I am {owner} and I will handle ticket {ticket} "
        "until it is settled. Could you tell me more about what happened, when, and how it affects "
        "{customer}?",
    ),
    (
        "Memperjelas masalah",
        Stage.CLARIFY,
        "complaint",
        "",
        "{name}, supaya saya tidak salah paham: masalahnya adalah ... Apakah benar begitu? Mohon "
        "kirimkan juga foto atau nomor pesanan bila ada.",
        "{name}, to make sure I understand: the problem is ... Is that right? Please also send a "
        "photo or the order number if you have one.",
    ),
    (
        "Menjelaskan SOP",
        Stage.EXPLAIN,
        "complaint",
        "",
        "{name}, izinkan saya menjelaskan aturan yang kita sepakati bersama: ... Aturan ini berlaku "
        "untuk semua pelanggan kami agar hasilnya adil dan dapat diperkirakan.",
        "{name}, let me explain the rule we agreed on: ... It applies to all our customers so that "
        "results are fair and predictable.",
    ),
    (
        "Menawarkan pilihan",
        Stage.OPTIONS,
        "complaint",
        "",
        "{name}, ada beberapa pilihan: (1) ..., (2) ..., atau (3) bila {name} merasa kami bukan "
        "mitra yang tepat, kami akan membantu menyelesaikan semuanya dengan baik. Mana yang paling "
        "cocok?",
        "{name}, here are the options: (1) ..., (2) ..., or (3) if you feel we are not the right "
        "partner, we will help wrap everything up properly. Which suits you best?",
    ),
    (
        "Minta maaf dan memperbaiki",
        Stage.RESOLVE,
        "complaint",
        Fault.OURS,
        "{name}, kami mohon maaf: kesalahan ada di pihak kami. Yang kami lakukan: ... paling lambat "
        "... pukul ... Terima kasih atas kesabarannya.",
        "{name}, we apologise: the mistake was ours. Here is what we are doing: ... by ... at ... "
        "Thank you for your patience.",
    ),
    (
        "Berdiri di atas aturan dengan sopan",
        Stage.RESOLVE,
        "complaint",
        Fault.CUSTOMER,
        "{name}, terima kasih atas pengertiannya. Sesuai kesepakatan dan SOP kami, ... Kami tetap "
        "ingin membantu: ... Semoga penjelasan ini membantu.",
        "{name}, thank you for your understanding. As agreed and per our SOP, ... We still want to "
        "help: ... I hope this explanation helps.",
    ),
    (
        "Memperjuangkan ke pihak ketiga",
        Stage.RESOLVE,
        "complaint",
        Fault.THIRD_PARTY,
        "{name}, masalahnya ada di pihak ekspedisi, dan kami yang akan mengurusnya dengan mereka "
        "sampai selesai. Kabar berikutnya kami sampaikan paling lambat ... pukul ...",
        "{name}, the problem lies with the courier, and we will take it up with them until it is "
        "settled. You will hear from us by ... at ...",
    ),
    (
        "Rekonsiliasi",
        Stage.RECONCILE,
        "complaint",
        "",
        "{name}, terima kasih sudah bersabar selama ini. Kalau berkenan, saya ingin mampir atau "
        "menelepon sebentar minggu ini, sekadar ngopi dan memastikan semuanya sudah baik.",
        "{name}, thank you for your patience throughout. If you like, I would be glad to visit or "
        "call briefly this week, over a coffee, to make sure everything is well.",
    ),
    (
        "Jawaban pertanyaan umum",
        "",
        "question",
        "",
        "Halo {name}, terima kasih atas pertanyaannya. ...\n\nSalam,\n{owner}",
        "Hello {name}, thank you for your question. ...\n\nBest regards,\n{owner}",
    ),
]

CHECKLISTS = {
    "complaint": (
        "Pertanyaan saat menerima keluhan",
        [
            ("Apa yang terjadi, dan kapan?", "What happened, and when?"),
            ("Nomor pesanan atau tagihan?", "Order or invoice number?"),
            (
                "Apa dampaknya bagi pelanggan (acara, tenggat, biaya)?",
                "What does it cost the customer (event, deadline, money)?",
            ),
            ("Apa yang pelanggan harapkan dari kita?", "What does the customer expect from us?"),
            ("Ada foto atau bukti?", "Any photo or evidence?"),
        ],
    ),
    "request": (
        "Pertanyaan untuk permintaan",
        [
            ("Jumlah dan ukuran?", "Quantity and size?"),
            ("Kapan dibutuhkan?", "When is it needed?"),
            ("Ke alamat mana dikirim?", "Where should it be delivered?"),
        ],
    ),
}


def knowledge_demo_load(*, author: User | None) -> None:
    for slug, kind, visibility, title_id, body_id, title_en, body_en in ARTICLES:
        article_create(
            actor=author,
            slug=slug,
            kind=kind,
            visibility=visibility,
            title_id=title_id,
            body_id=body_id,
            title_en=title_en,
            body_en=body_en,
        )
    for title, stage, category, fault, body_id, body_en in CANNED:
        CannedReply.objects.create(
            title=title,
            stage=stage,
            category=category,
            fault=fault,
            body_id=body_id,
            body_en=body_en,
        )
    for category, (title, questions) in CHECKLISTS.items():
        checklist = Checklist.objects.create(category=category, title=title)
        ChecklistItem.objects.bulk_create(
            ChecklistItem(checklist=checklist, position=number, text_id=text_id, text_en=text_en)
            for number, (text_id, text_en) in enumerate(questions)
        )
