"""The words of Layan's demo: staff, customers and conversations of an Indonesian service
business (a digital printing and packaging house in Jakarta and Surabaya), written for Layan.

Placeholders in messages: {sapa} is how the customer is addressed ("Ibu Rina"), {agent} the
replying member of staff, {ref} the ticket reference, {produk} a product, {tanggal} a date.
"""

from __future__ import annotations

# username, first name, last name, role, teams
STAFF: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("admin", "Admin", "Layan", "admin", ()),
    ("dewi", "Dewi", "Lestari", "manager", ("Layanan Pelanggan", "Keuangan", "Produksi")),
    ("rina", "Rina", "Kusuma", "account_manager", ("Layanan Pelanggan",)),
    ("budi", "Budi", "Santoso", "account_manager", ("Layanan Pelanggan",)),
    ("sari", "Sari", "Wulandari", "account_manager", ("Produksi",)),
    ("andi", "Andi", "Pratama", "account_manager", ("Layanan Pelanggan",)),
    ("agus", "Agus", "Setiawan", "agent", ("Layanan Pelanggan",)),
    ("maya", "Maya", "Anggraini", "agent", ("Layanan Pelanggan", "Keuangan")),
    ("yoga", "Yoga", "Prasetyo", "agent", ("Produksi",)),
    ("fitri", "Fitri", "Handayani", "agent", ("Keuangan",)),
    ("nina", "Nina", "Marlina", "viewer", ("Layanan Pelanggan",)),
]

TEAMS: list[tuple[str, str, str]] = [
    # name, inbox address, manager username
    ("Layanan Pelanggan", "cs@layan.test", "dewi"),
    ("Keuangan", "finance@layan.test", "dewi"),
    ("Produksi", "produksi@layan.test", "dewi"),
]

# name, form, kind, revenue tier, industry, city, account manager
CUSTOMERS: list[tuple[str, str, str, str, str, str, str]] = [
    (
        "PT Sinar Nusantara Logistik",
        "organisation",
        "external",
        "key",
        "Logistik",
        "Jakarta",
        "rina",
    ),
    ("PT Kopi Kenangan Senja", "organisation", "external", "key", "F&B", "Jakarta", "rina"),
    ("PT Batik Sekar Jagad", "organisation", "external", "large", "Fesyen", "Solo", "rina"),
    (
        "CV Maju Bersama Elektrik",
        "organisation",
        "external",
        "medium",
        "Elektronik",
        "Bekasi",
        "rina",
    ),
    ("Klinik Sehat Sentosa", "organisation", "external", "medium", "Kesehatan", "Depok", "rina"),
    ("Toko Roti Harum Manis", "organisation", "external", "small", "F&B", "Bogor", "rina"),
    ("Warung Sate Pak Kumis", "organisation", "external", "small", "F&B", "Jakarta", "rina"),
    ("PT Arunika Properti", "organisation", "external", "large", "Properti", "Tangerang", "budi"),
    (
        "PT Samudra Biru Perikanan",
        "organisation",
        "external",
        "large",
        "Perikanan",
        "Surabaya",
        "budi",
    ),
    (
        "Yayasan Pendidikan Cendekia",
        "organisation",
        "external",
        "medium",
        "Pendidikan",
        "Bandung",
        "budi",
    ),
    ("CV Karya Kayu Jepara", "organisation", "external", "medium", "Mebel", "Jepara", "budi"),
    ("Apotek Sumber Waras", "organisation", "external", "small", "Kesehatan", "Semarang", "budi"),
    ("Laundry Bersih Kilat", "organisation", "external", "small", "Jasa", "Jakarta", "budi"),
    ("Bengkel Motor Jaya Abadi", "organisation", "external", "small", "Otomotif", "Bekasi", "budi"),
    (
        "PT Teknologi Awan Merdeka",
        "organisation",
        "external",
        "key",
        "Teknologi",
        "Jakarta",
        "sari",
    ),
    ("PT Hijau Lestari Agro", "organisation", "external", "large", "Pertanian", "Malang", "sari"),
    (
        "Hotel Puri Indah Bali",
        "organisation",
        "external",
        "large",
        "Perhotelan",
        "Denpasar",
        "sari",
    ),
    (
        "CV Rasa Nusantara Katering",
        "organisation",
        "external",
        "medium",
        "F&B",
        "Yogyakarta",
        "sari",
    ),
    ("Studio Foto Cahaya", "organisation", "external", "small", "Jasa", "Surabaya", "sari"),
    ("Toko Buku Pelita", "organisation", "external", "small", "Ritel", "Medan", "sari"),
    ("Koperasi Tani Makmur", "organisation", "external", "small", "Pertanian", "Kediri", "sari"),
    ("PT Mitra Sejahtera Farma", "organisation", "external", "key", "Farmasi", "Surabaya", "andi"),
    (
        "PT Langit Biru Travel",
        "organisation",
        "external",
        "medium",
        "Pariwisata",
        "Jakarta",
        "andi",
    ),
    (
        "Sekolah Bintang Kecil",
        "organisation",
        "external",
        "medium",
        "Pendidikan",
        "Tangerang",
        "andi",
    ),
    ("Rumah Makan Padang Sederhana", "organisation", "external", "small", "F&B", "Padang", "andi"),
    ("Kedai Teh Tarik Aceh", "organisation", "external", "small", "F&B", "Banda Aceh", "andi"),
    ("Salon Cantik Ayu", "organisation", "external", "small", "Jasa", "Makassar", "andi"),
    (
        "Greenleaf Trading Pte Ltd",
        "organisation",
        "external",
        "large",
        "Trading",
        "Singapore",
        "andi",
    ),
    ("Nordic Home Living", "organisation", "external", "medium", "Retail", "Jakarta", "rina"),
    ("Bapak Hendra Wijaya", "individual", "external", "small", "", "Jakarta", "budi"),
    ("Ibu Lina Marlina", "individual", "external", "small", "", "Bandung", "sari"),
    ("Kak Dimas Anggara", "individual", "external", "small", "", "Yogyakarta", "andi"),
    ("Mr Thomas Becker", "individual", "external", "small", "", "Denpasar", "sari"),
    ("Divisi Pemasaran", "organisation", "internal", "medium", "Internal", "Jakarta", "rina"),
    ("Divisi SDM", "organisation", "internal", "small", "Internal", "Jakarta", "budi"),
    (
        "Divisi Keuangan Internal",
        "organisation",
        "internal",
        "small",
        "Internal",
        "Jakarta",
        "budi",
    ),
    ("Divisi Gudang Surabaya", "organisation", "internal", "small", "Internal", "Surabaya", "sari"),
    ("Divisi IT", "organisation", "internal", "medium", "Internal", "Jakarta", "andi"),
    ("Cabang Medan", "organisation", "internal", "small", "Internal", "Medan", "andi"),
    ("PT Cipta Rasa Mandiri", "organisation", "external", "medium", "F&B", "Bandung", "rina"),
]

# Contact name pools: (full name, preferred name, honorific, language)
CONTACT_NAMES: list[tuple[str, str, str, str]] = [
    ("Rahmat Hidayat", "Rahmat", "Bapak", "id"),
    ("Siti Nurhaliza Putri", "Siti", "Ibu", "id"),
    ("Yusuf Maulana", "Yusuf", "Bapak", "id"),
    ("Ayu Kartika Sari", "Ayu", "Ibu", "id"),
    ("Bambang Sutrisno", "Bambang", "Bapak", "id"),
    ("Dian Permata", "Dian", "Ibu", "id"),
    ("Eko Saputra", "Eko", "Mas", "id"),
    ("Fajar Nugroho", "Fajar", "Bapak", "id"),
    ("Gita Savitri", "Gita", "Kak", "id"),
    ("Hadi Purnomo", "Hadi", "Bapak", "id"),
    ("Indah Permatasari", "Indah", "Ibu", "id"),
    ("Joko Susilo", "Joko", "Bapak", "id"),
    ("Kartini Wulan", "Wulan", "Mbak", "id"),
    ("Lukman Hakim", "Lukman", "Bapak", "id"),
    ("Mega Puspita", "Mega", "Ibu", "id"),
    ("Nanda Pratiwi", "Nanda", "Kak", "id"),
    ("Oki Firmansyah", "Oki", "Mas", "id"),
    ("Putri Ramadhani", "Putri", "Ibu", "id"),
    ("Rudi Hartono", "Rudi", "Bapak", "id"),
    ("Sinta Dewanti", "Sinta", "Ibu", "id"),
    ("Teguh Wibowo", "Teguh", "Bapak", "id"),
    ("Umi Kalsum", "Umi", "Ibu", "id"),
    ("Vina Melati", "Vina", "Kak", "id"),
    ("Wahyu Hidayat", "Wahyu", "Bapak", "id"),
    ("Yanti Susanti", "Yanti", "Ibu", "id"),
    ("Zainal Abidin", "Zainal", "Bapak", "id"),
    ("Arif Rahman", "Arif", "Bapak", "id"),
    ("Bella Anjani", "Bella", "Kak", "id"),
    ("Citra Kirana", "Citra", "Ibu", "id"),
    ("Dodi Kurniawan", "Dodi", "Mas", "id"),
    ("Endah Lestari", "Endah", "Ibu", "id"),
    ("Ferry Gunawan", "Ferry", "Bapak", "id"),
    ("Hana Safitri", "Hana", "Mbak", "id"),
    ("Irfan Hakim", "Irfan", "Bapak", "id"),
    ("Kevin Tanoto", "Kevin", "Bapak", "id"),
    ("Lia Amalia", "Lia", "Ibu", "id"),
    ("Michael Tan", "Michael", "Mr", "en"),
    ("Sarah Lim", "Sarah", "Ms", "en"),
    ("Anna Johansson", "Anna", "Ms", "en"),
    ("David Chen", "David", "Mr", "en"),
]

PRODUCTS = [
    "brosur A4 lipat tiga",
    "kartu nama 2 box",
    "spanduk 3x1 meter",
    "kemasan kotak makanan",
    "stiker label botol",
    "kalender meja 2027",
    "buku menu laminasi",
    "paper bag custom",
    "undangan pernikahan",
    "banner roll-up",
]

PRODUCTS_EN = [
    "tri-fold brochures",
    "business cards",
    "roll-up banners",
    "custom paper bags",
    "product labels",
]

# A conversation: category, priority, tone, language, subject, then turns. A turn is
# ("c", text) for the customer, ("a", text) for a public reply, ("n", text) for an internal
# note. `end` is the status after the last turn when the ticket is old enough to be finished.
Scenario = dict[str, object]

SCENARIOS: list[Scenario] = [
    {
        "category": "question",
        "priority": "normal",
        "tone": "pleasant",
        "lang": "id",
        "subject": "Tanya harga cetak {produk}",
        "turns": [
            (
                "c",
                "Selamat pagi, saya mau tanya harga cetak {produk} untuk 500 pcs. Kira-kira "
                "berapa ya dan berapa lama pengerjaannya? Terima kasih.",
            ),
            (
                "a",
                "Selamat pagi {sapa}, terima kasih sudah menghubungi kami. Untuk {produk} "
                "500 pcs harganya Rp 1.750.000 sudah termasuk desain sederhana, pengerjaan 4 "
                "hari kerja setelah desain disetujui. Apakah {sapa} ingin kami kirimkan "
                "penawaran resminya?\n\nSalam,\n{agent}",
            ),
            ("c", "Boleh, tolong kirim penawarannya ya. Makasih banyak!"),
            (
                "a",
                "Baik {sapa}, penawaran resmi sudah kami kirim ke email. Kalau ada yang kurang "
                "jelas, silakan balas pesan ini.\n\nSalam,\n{agent}",
            ),
        ],
        "end": "resolved",
    },
    {
        "category": "request",
        "priority": "normal",
        "tone": "pleasant",
        "lang": "id",
        "subject": "Revisi desain {produk}",
        "turns": [
            (
                "c",
                "Halo, untuk desain {produk} yang kemarin, bisa tolong logonya diperbesar "
                "sedikit dan warnanya dibuat lebih terang? Terima kasih.",
            ),
            (
                "a",
                "Halo {sapa}, terima kasih masukannya. Revisi logo dan warna akan kami kirim "
                "besok pukul 10.00. Ini revisi pertama dari dua revisi yang termasuk dalam "
                "kesepakatan.\n\nSalam,\n{agent}",
            ),
            ("n", "Desainer: Yoga. Revisi 1 dari 2."),
            ("c", "Sip, sudah saya cek, sudah bagus. Lanjut cetak ya."),
            (
                "a",
                "Terima kasih {sapa}, pesanan masuk produksi hari ini dan siap {tanggal}."
                "\n\nSalam,\n{agent}",
            ),
        ],
        "end": "resolved",
    },
    {
        "category": "complaint",
        "priority": "high",
        "tone": "angry",
        "lang": "id",
        "subject": "Pesanan {produk} TERLAMBAT, kecewa sekali",
        "fault": "ours",
        "fault_note": "Mesin potong rusak; kami tidak mengabari pelanggan.",
        "turns": [
            (
                "c",
                "Saya sangat kecewa!!! Pesanan {produk} harusnya selesai kemarin, sampai "
                "sekarang belum ada kabar. Acara kami besok pagi. Gimana ini tanggung "
                "jawabnya??",
            ),
            (
                "a",
                "Selamat siang {sapa}, kami mohon maaf atas keterlambatan ini. Saya sudah cek "
                "ke produksi: mesin potong sempat rusak kemarin. Pesanan {sapa} kami "
                "prioritaskan dan akan dikirim dengan kurir khusus hari ini pukul 16.00 tanpa "
                "biaya tambahan.\n\nSalam,\n{agent}",
            ),
            ("n", "Keterlambatan karena kerusakan mesin potong. Kesalahan di pihak kita."),
            ("c", "Oke, sudah sampai. Lain kali tolong dikabari lebih awal ya."),
            (
                "a",
                "Baik {sapa}, masukan ini kami catat. Terima kasih atas kesabarannya, dan "
                "sekali lagi mohon maaf.\n\nSalam,\n{agent}",
            ),
        ],
        "end": "resolved",
    },
    {
        "category": "complaint",
        "priority": "high",
        "tone": "angry",
        "lang": "id",
        "subject": "Warna cetakan beda jauh dari desain",
        "fault": "customer",
        "fault_note": "Proof cetak sudah disetujui; perbedaan RGB/CMYK sudah dijelaskan di SOP.",
        "turns": [
            (
                "c",
                "Ini gimana sih, warna {produk} yang datang beda jauh dari desain yang saya "
                "setujui. Merahnya jadi kusam. Saya gk mau bayar kalau begini.",
            ),
            (
                "a",
                "Selamat sore {sapa}, terima kasih sudah memberi tahu kami. Boleh kami minta "
                "foto hasil cetak di bawah cahaya siang? Sesuai SOP, warna layar dan cetak "
                "bisa berbeda karena RGB dan CMYK; proof cetak sudah {sapa} setujui tanggal "
                "{tanggal}. Kami tetap ingin mencari jalan keluar yang adil.\n\nSalam,\n{agent}",
            ),
            ("c", "Ya sudah saya kirim fotonya. Tapi tetap saja mengecewakan."),
            (
                "a",
                "Terima kasih {sapa}. Pilihan kami: (1) cetak ulang dengan proof fisik "
                "terlebih dahulu dengan biaya bahan 50%, atau (2) potongan 20% untuk pesanan "
                "berikutnya. Mana yang lebih cocok untuk {sapa}?\n\nSalam,\n{agent}",
            ),
            ("c", "Saya pilih cetak ulang dengan proof fisik."),
        ],
        "end": "resolved",
    },
    {
        "category": "complaint",
        "priority": "urgent",
        "tone": "hostile",
        "lang": "id",
        "subject": "Pelayanan parah!!!",
        "fault": "ours",
        "fault_note": "Tagihan tercetak dua kali oleh sistem kita.",
        "turns": [
            (
                "c",
                "PELAYANAN KALIAN PARAH BANGET. Sudah 3 kali telpon gk ada yang angkat. "
                "Tagihan dobel dan gk ada yg tanggung jawab. Bodoh semua!",
            ),
            ("n", "Pelanggan marah soal tagihan ganda. Cek dengan tim keuangan."),
            (
                "a",
                "Selamat pagi {sapa}, mohon maaf atas pengalaman yang tidak menyenangkan ini. "
                "Saya {agent}, dan mulai sekarang saya yang menangani tiket {ref} sampai "
                "selesai. Tagihan ganda sudah saya cek: memang tercetak dua kali, dan "
                "pengembalian dana akan masuk paling lambat {tanggal}.\n\nSalam,\n{agent}",
            ),
            ("c", "Ya sudah, saya tunggu. Awas kalau tidak masuk."),
        ],
        "end": "resolved",
    },
    {
        "category": "request",
        "priority": "normal",
        "tone": "neutral",
        "lang": "id",
        "subject": "Minta faktur pajak bulan lalu",
        "turns": [
            (
                "c",
                "Selamat siang, mohon dikirimkan faktur pajak untuk pembelian bulan lalu. "
                "NPWP kami sudah terdaftar di sistem. Terima kasih.",
            ),
            (
                "a",
                "Selamat siang {sapa}, faktur pajak sudah kami kirim ke email bagian "
                "keuangan {sapa}. Mohon dicek ya.\n\nSalam,\n{agent}",
            ),
        ],
        "end": "resolved",
    },
    {
        "category": "question",
        "priority": "low",
        "tone": "pleasant",
        "lang": "id",
        "subject": "Jam operasional saat libur Natal",
        "turns": [
            ("c", "Halo kak, mau tanya apakah tanggal 24 dan 26 Desember tetap buka? Makasih."),
            (
                "a",
                "Halo {sapa}, tanggal 24 Desember kami buka sampai pukul 12.00, dan 26 "
                "Desember tutup (cuti bersama). Terima kasih sudah bertanya.\n\nSalam,\n{agent}",
            ),
            ("c", "Oke makasih infonya 👍"),
        ],
        "end": "resolved",
    },
    {
        "category": "request",
        "priority": "high",
        "tone": "neutral",
        "lang": "id",
        "subject": "Tambah jumlah pesanan {produk}",
        "turns": [
            (
                "c",
                "Pagi, bisa sekalian tambah 200 pcs untuk pesanan {produk} yang sedang "
                "diproses? Kalau bisa dikirim bersamaan.",
            ),
            (
                "a",
                "Pagi {sapa}, bisa. Tambahan 200 pcs menambah biaya Rp 600.000 dan waktu "
                "pengerjaan 1 hari, jadi pengiriman menjadi {tanggal}. Kami buatkan perubahan "
                "pesanan untuk {sapa} konfirmasi ya.\n\nSalam,\n{agent}",
            ),
            ("c", "Oke, saya konfirmasi."),
        ],
        "end": "resolved",
    },
    {
        "category": "complaint",
        "priority": "normal",
        "tone": "frustrated",
        "lang": "id",
        "subject": "Kurir tidak datang",
        "fault": "third_party",
        "fault_note": "Kurir ekspedisi tidak datang sesuai jadwal.",
        "turns": [
            (
                "c",
                "Sudah dari pagi saya tunggu kurir untuk ambil barang retur, tapi tidak ada "
                "yang datang. Tolong dicek ya, saya jadi tidak bisa ke mana-mana.",
            ),
            (
                "a",
                "Mohon maaf {sapa}, kami sudah hubungi pihak kurir. Mereka mengonfirmasi "
                "penjemputan besok pukul 09.00–11.00. Kami juga akan mengingatkan kurir pagi "
                "harinya.\n\nSalam,\n{agent}",
            ),
        ],
        "end": "waiting_third_party",
    },
    {
        "category": "question",
        "priority": "normal",
        "tone": "neutral",
        "lang": "id",
        "subject": "Status pesanan {produk}",
        "turns": [
            ("c", "Mau tanya, pesanan {produk} kami sudah sampai tahap mana ya?"),
            (
                "a",
                "Halo {sapa}, pesanan {produk} sedang tahap finishing dan dijadwalkan selesai "
                "{tanggal}. Kami kabari lagi begitu dikirim.\n\nSalam,\n{agent}",
            ),
        ],
        "end": "waiting_customer",
    },
    {
        "category": "request",
        "priority": "normal",
        "tone": "neutral",
        "lang": "id",
        "subject": "Permintaan dari divisi: cetak materi pelatihan",
        "turns": [
            (
                "c",
                "Halo tim, kami butuh cetak 120 modul pelatihan karyawan baru untuk tanggal "
                "{tanggal}. File terlampir di folder bersama. Terima kasih.",
            ),
            (
                "a",
                "Halo {sapa}, permintaan sudah kami terima dan masuk jadwal produksi. Modul "
                "siap diambil {tanggal} pukul 14.00.\n\nSalam,\n{agent}",
            ),
            ("c", "Mantap, terima kasih banyak."),
        ],
        "end": "resolved",
    },
    {
        "category": "complaint",
        "priority": "high",
        "tone": "angry",
        "lang": "id",
        "subject": "Jumlah barang kurang dari pesanan",
        "fault": "ours",
        "fault_note": "Satu dus tertinggal di gudang kita.",
        "turns": [
            (
                "c",
                "Barang yang datang cuma 450 pcs, padahal pesanan saya 500 pcs. Ini sudah "
                "kedua kalinya kejadian. Kecewaaa bgt.",
            ),
            (
                "a",
                "Selamat siang {sapa}, mohon maaf atas kekurangan ini. Saya sudah cek catatan "
                "pengepakan: memang ada satu dus yang tertinggal di gudang. Kekurangan 50 pcs "
                "dikirim hari ini dan tiba besok sebelum pukul 12.00.\n\nSalam,\n{agent}",
            ),
            ("n", "Dua kali kekurangan kirim untuk pelanggan ini. Usulkan cek ganda di gudang."),
        ],
        "end": "resolved",
    },
    {
        "category": "question",
        "priority": "normal",
        "tone": "pleasant",
        "lang": "id",
        "subject": "Bisa bayar pakai QRIS?",
        "turns": [
            ("c", "Selamat sore, pembayaran bisa pakai QRIS atau harus transfer bank?"),
            (
                "a",
                "Selamat sore {sapa}, bisa keduanya. QRIS tersedia di invoice digital, dan "
                "transfer bank ke rekening BCA yang tercantum di invoice.\n\nSalam,\n{agent}",
            ),
            ("c", "Siap, terima kasih."),
        ],
        "end": "resolved",
    },
    {
        "category": "complaint",
        "priority": "normal",
        "tone": "misunderstanding",
        "lang": "id",
        "subject": "Kenapa ada biaya desain?",
        "fault": "customer",
        "fault_note": "Revisi melebihi dua kali sesuai kesepakatan.",
        "turns": [
            (
                "c",
                "Di invoice ada biaya desain Rp 250.000, padahal katanya gratis. Tolong "
                "dijelaskan.",
            ),
            (
                "a",
                "Selamat siang {sapa}, terima kasih sudah bertanya. Sesuai kesepakatan, desain "
                "gratis mencakup dua kali revisi; pesanan ini mendapat empat kali revisi, "
                "sehingga dua revisi tambahan dikenai Rp 125.000 per revisi. Rinciannya kami "
                "lampirkan. Jika {sapa} ingin, kami bisa atur revisi lebih hemat untuk "
                "pesanan berikutnya.\n\nSalam,\n{agent}",
            ),
            ("c", "Oh begitu, baik saya paham. Terima kasih penjelasannya."),
        ],
        "end": "resolved",
    },
    {
        "category": "question",
        "priority": "normal",
        "tone": "pleasant",
        "lang": "en",
        "subject": "Quotation for {produk_en}",
        "turns": [
            (
                "c",
                "Hi, could you send us a quotation for 1,000 {produk_en}? We need them "
                "delivered to our Jakarta office by the end of the month. Thanks!",
            ),
            (
                "a",
                "Dear {sapa}, thank you for reaching out. The quotation for 1,000 "
                "{produk_en} is attached: IDR 4,500,000 including delivery to Jakarta, ready "
                "within 6 working days after design approval.\n\nBest regards,\n{agent}",
            ),
            ("c", "Great, thank you. We'll confirm by Friday."),
        ],
        "end": "resolved",
    },
    {
        "category": "complaint",
        "priority": "high",
        "tone": "angry",
        "lang": "en",
        "subject": "Wrong size on delivered {produk_en}",
        "fault": "ours",
        "fault_note": "Size entered wrongly on our side.",
        "turns": [
            (
                "c",
                "This is unacceptable. The {produk_en} we received are the wrong size and "
                "our launch is on Monday. I need this fixed immediately.",
            ),
            (
                "a",
                "Dear {sapa}, I am sorry for the trouble this causes before your launch. We "
                "checked the order: the size was entered wrongly on our side. We are "
                "reprinting today and will deliver by Saturday 10:00, at no cost to "
                "you.\n\nBest regards,\n{agent}",
            ),
            ("c", "Thank you for the quick response. Please keep me posted."),
        ],
        "end": "resolved",
    },
    {
        "category": "request",
        "priority": "normal",
        "tone": "neutral",
        "lang": "en",
        "subject": "Change of billing address",
        "turns": [
            (
                "c",
                "Hello, please update our billing address to: Menara Sentraya 18th floor, "
                "Jl. Iskandarsyah Raya, Jakarta Selatan. Thank you.",
            ),
            (
                "a",
                "Dear {sapa}, your billing address has been updated and will appear on the "
                "next invoice.\n\nBest regards,\n{agent}",
            ),
        ],
        "end": "resolved",
    },
    {
        "category": "question",
        "priority": "low",
        "tone": "neutral",
        "lang": "id",
        "subject": "Minimal order stiker",
        "turns": [
            ("c", "Minimal order untuk stiker label berapa ya? Dan bisa bentuk bulat?"),
            (
                "a",
                "Halo {sapa}, minimal order 100 lembar A3 dan bisa bentuk bulat, oval, "
                "maupun custom die-cut.\n\nSalam,\n{agent}",
            ),
        ],
        "end": "waiting_customer",
    },
    {
        "category": "complaint",
        "priority": "normal",
        "tone": "frustrated",
        "lang": "id",
        "subject": "Email penawaran tidak dibalas",
        "fault": "ours",
        "fault_note": "Email masuk ke alamat lama yang tidak dipantau.",
        "turns": [
            (
                "c",
                "Sudah seminggu saya kirim email minta penawaran, tidak ada balasan sama "
                "sekali. Apa masih beroperasi?",
            ),
            (
                "a",
                "Selamat pagi {sapa}, kami mohon maaf, email {sapa} terlewat karena masuk ke "
                "alamat lama. Penawaran sudah saya kirim pagi ini, dan mulai sekarang saya "
                "yang menjadi kontak {sapa}.\n\nSalam,\n{agent}",
            ),
            ("c", "Baik, sudah saya terima. Terima kasih."),
        ],
        "end": "resolved",
    },
    {
        "category": "request",
        "priority": "urgent",
        "tone": "neutral",
        "lang": "id",
        "subject": "Cetak ulang banner untuk acara besok",
        "turns": [
            (
                "c",
                "Urgent: banner acara kami rusak kena hujan. Bisa cetak ulang 2 banner "
                "roll-up hari ini juga? File sama seperti pesanan sebelumnya.",
            ),
            (
                "a",
                "Bisa {sapa}. Dua banner roll-up siap pukul 17.00 hari ini dan bisa diambil "
                "di kantor kami atau dikirim kurir instan.\n\nSalam,\n{agent}",
            ),
            ("c", "Saya ambil sendiri jam 5. Terima kasih banyak, sangat membantu!"),
        ],
        "end": "resolved",
    },
    {
        "category": "complaint",
        "priority": "normal",
        "tone": "misunderstanding",
        "lang": "id",
        "subject": "Pesanan tidak bisa dibatalkan?",
        "fault": "customer",
        "fault_note": "Syarat pembatalan tercantum di kesepakatan.",
        "turns": [
            (
                "c",
                "Saya mau batalkan pesanan kalender, kenapa katanya tidak bisa? Kan belum dikirim.",
            ),
            (
                "a",
                "Selamat siang {sapa}. Sesuai syarat yang disepakati, pesanan yang sudah masuk "
                "produksi tidak dapat dibatalkan karena bahan sudah dipotong. Yang bisa kami "
                "tawarkan: menunda pengiriman sampai {tanggal}, atau mengubah desain sampul "
                "tanpa biaya. Mohon kabari pilihan {sapa}.\n\nSalam,\n{agent}",
            ),
            ("c", "Ya sudah, tunda pengiriman saja."),
        ],
        "end": "resolved",
    },
    {
        "category": "question",
        "priority": "normal",
        "tone": "pleasant",
        "lang": "id",
        "subject": "Sampel bahan kemasan",
        "turns": [
            (
                "c",
                "Halo, boleh minta sampel bahan untuk kemasan kotak makanan? Kami sedang "
                "membandingkan beberapa pilihan.",
            ),
            (
                "a",
                "Halo {sapa}, tentu. Sampel tiga jenis bahan (ivory 310, duplex 350, dan "
                "kraft) kami kirim besok, gratis.\n\nSalam,\n{agent}",
            ),
        ],
        "end": "open",
    },
]

# What customers write in the satisfaction survey, by language and rating (1 to 5).
SURVEY_COMMENTS: dict[str, dict[int, tuple[str, ...]]] = {
    "id": {
        1: (
            "Harus menanyakan berkali-kali sampai ada jawaban.",
            "Masalahnya belum benar-benar selesai.",
        ),
        2: (
            "Akhirnya beres, tapi terlalu lama menunggu kabar.",
            "Jawabannya kurang jelas, saya masih bingung.",
        ),
        3: ("Cukup, hanya perlu menunggu agak lama.", "Lumayan, semoga lain kali lebih cepat."),
        4: ("Dibantu dengan sabar, terima kasih.", "Baik, penjelasannya jelas."),
        5: (
            "Cepat dan ramah, terima kasih banyak!",
            "Penjelasannya jelas dan solusinya pas.",
            "Sangat membantu, pelayanannya memuaskan.",
        ),
    },
    "en": {
        1: ("I had to chase this several times.",),
        2: ("Sorted in the end, but it took too long.",),
        3: ("Fine, though the wait was long.",),
        4: ("Helpful and patient, thank you.",),
        5: ("Quick, friendly and clear. Thank you!",),
    },
}
