/// The 25 test payloads of C2B-PULL.md §9 (../shared/daraja), copied verbatim (long lines are continued with `\#`,
/// which adds no character): what Daraja sends for C2B validation and confirmation, what Pull Transactions answers,
/// and Account Balance and Reversal results. Shared by the decoder tests and the independent sender that posts them
/// through `serve`.
public enum C2BPayloads {
    /// Payload `number` (1–25) of §9.
    public static func body(_ number: Int) -> String { all[number - 1].body }

    /// Every payload with its number and the title §9 gives it.
    public static let all: [(number: Int, title: String, body: String)] = [
        (
            1, "v2 docs sample",
            #"""
            {"TransactionType":"Pay Bill","TransID":"RKL51ZDR4F","TransTime":"20231121121325","TransAmount":\#
            "5.00","BusinessShortCode":"600966","BillRefNumber":"Sample Transaction","InvoiceNumber":"","Org\#
            AccountBalance":"25.00","ThirdPartyTransID":"","MSISDN":"2547 ***** 126","FirstName":"NICHOLAS",\#
            "MiddleName":"","LastName":""}
            """#
        ),
        (
            2, "Sandbox v2 validation, 2023-01-18",
            #"""
            {"TransactionType":"","TransID":"YUNV2HE5W9","TransTime":"20230118085842","TransAmount":"10","Bu\#
            sinessShortCode":"700000","BillRefNumber":"yT7Be#R8T","InvoiceNumber":"","OrgAccountBalance":"",\#
            "ThirdPartyTransID":"","MSISDN":"2547 ***** 149","FirstName":"John"}
            """#
        ),
        (
            3, "v1 validation, 2017 docs",
            #"""
            {"TransactionType":"","TransID":"LGR219G3EY","TransTime":"20170727104247","TransAmount":"10.00",\#
            "BusinessShortCode":"600134","BillRefNumber":"xyz","InvoiceNumber":"","OrgAccountBalance":"","Th\#
            irdPartyTransID":"","MSISDN":"254708374149","FirstName":"John","MiddleName":"Doe","LastName":""}
            """#
        ),
        (
            4, "Validation answer: accept",
            #"""
            {"ResultCode":"0","ResultDesc":"Accepted"}
            """#
        ),
        (
            5, "Validation answer: reject",
            #"""
            {"ResultCode":"C2B00011","ResultDesc":"Rejected"}
            """#
        ),
        (
            6, "Production paybill, 2022-05-27",
            #"""
            {"TransactionType":"Pay Bill","TransID":"QER3OM0QN3","TransTime":"20220527110948","TransAmount":\#
            "10.00","BusinessShortCode":"4086903","BillRefNumber":"666666","InvoiceNumber":"","OrgAccountBal\#
            ance":"54.00","ThirdPartyTransID":"","MSISDN":"2547 ***** 738","FirstName":"LEI"}
            """#
        ),
        (
            7, "Production paybill, 2023-01-19",
            #"""
            {"TransactionType":"Pay Bill","TransID":"RAJ7PFM0SH","TransTime":"20230119121544","TransAmount":\#
            "1.00","BusinessShortCode":"4095073","BillRefNumber":"test","InvoiceNumber":"","OrgAccountBalanc\#
            e":"212391.00","ThirdPartyTransID":"","MSISDN":"2547 ***** 797","FirstName":"EDWARD"}
            """#
        ),
        (
            8, "Production paybill, customer-initiated, 2024-02-06",
            #"""
            {"TransactionType":"Pay Bill","TransID":"SB62A1SVRK","TransTime":"20240206175204","TransAmount":\#
            "1.00","BusinessShortCode":"4130669","BillRefNumber":"peter","InvoiceNumber":"","OrgAccountBalan\#
            ce":"161.00","ThirdPartyTransID":"","MSISDN":"2547 ***** 845","FirstName":"PETER"}
            """#
        ),
        (
            9, "Production paybill, an STK-originated payment delivered to the C2B URL, 2024-02-06",
            #"""
            {"TransactionType":"Pay Bill","TransID":"SB65A1TU7X","TransTime":"20240206175212","TransAmount":\#
            "4.00","BusinessShortCode":"4130669","BillRefNumber":"2046332","InvoiceNumber":"","OrgAccountBal\#
            ance":"165.00","ThirdPartyTransID":"","MSISDN":"2547 ***** 063","FirstName":"SALIM"}
            """#
        ),
        (
            10, "Production till (buy goods), 2024-07-22",
            #"""
            {"TransactionType":"Customer Merchant Payment","TransID":"SGM3J225DR","TransTime":"2024072220580\#
            1","TransAmount":"11720.00","BusinessShortCode":"166373","BillRefNumber":"","InvoiceNumber":"","\#
            OrgAccountBalance":"26781.80","ThirdPartyTransID":"","MSISDN":"ec59ead34e9e674f659b8602d4742a505\#
            3 ***** 134b8da0889ccb542bb64bb95","FirstName":"JOSEPH"}
            """#
        ),
        (
            11, "Sandbox v1, 2025-11-06",
            #"""
            {"TransactionType":"Pay Bill","TransID":"TK60708BHZ","TransTime":"20251106230212","TransAmount":\#
            "1.00","BusinessShortCode":"600995","BillRefNumber":"UM001","InvoiceNumber":"ThisInvoice","OrgAc\#
            countBalance":"41880264.80","ThirdPartyTransID":"","MSISDN":"94c392c311d522da950619227b3361752a4\#
            2042db7e1e699b26e628305c68a88","FirstName":"NICHOLAS","MiddleName":"JOHN","LastName":"SONGOK"}
            """#
        ),
        (
            12, "Sandbox v1, 2023-06-17",
            #"""
            {"TransactionType":"Pay Bill","TransID":"RFH31QHDKL","TransTime":"20230617134609","TransAmount":\#
            "1.00","BusinessShortCode":"600980","BillRefNumber":"174379","InvoiceNumber":"","OrgAccountBalan\#
            ce":"5939204.60","ThirdPartyTransID":"","MSISDN":"94c392c311d522da950619227b3361752a42042db7e1e6\#
            99b26e628305c68a88","FirstName":"NICHOLAS","MiddleName":"","LastName":""}
            """#
        ),
        (
            13, "v1 confirmation, 2017 docs",
            #"""
            {"TransactionType":"","TransID":"LGR219G3EY","TransTime":"20170727104247","TransAmount":"10.00",\#
            "BusinessShortCode":"600134","BillRefNumber":"xyz","InvoiceNumber":"","OrgAccountBalance":"49197\#
            .00","ThirdPartyTransID":"1234567890","MSISDN":"254708374149","FirstName":"John","MiddleName":"D\#
            oe","LastName":""}
            """#
        ),
        (
            14, "Confirmation acknowledgement",
            #"""
            {"ResultCode":0,"ResultDesc":"Success"}
            """#
        ),
        (
            15, "Register, success",
            #"""
            {"ResponseRefID":"feb5e3f2-fbc-4745-844c-ee37b546f627","ResponseStatus":"1000","ShortCode":"6000\#
            00","ResponseDescription":"Shortcode Registered Successfully"}
            """#
        ),
        (
            16, "Register, already registered, with spaced keys",
            #"""
            {"ResponseRefID":"18633-7271215-1","Response Status":"1001","ShortCode":"600000","Response Descr\#
            iption":"ShortCode already Registered"}
            """#
        ),
        (
            17, "Query, one page of 5",
            #"""
            {"ResponseRefID":"26178-42530161-2","ResponseCode":"1000","ResponseMessage":"Success","Response"\#
            :[[{"transactionId":"yzlyrEsRG1","trxDate":"2020-08-05T10:13:00Z","msisdn":72200000,"sender":"UA\#
            T2","transactiontype":"c2b-pay-bill-debit","billreference":"37207636392","amount":"168.00","orga\#
            nizationname":"Daraja Pull API Test"},{"transactionId":"ZobjR29vdz","trxDate":"2020-08-05T10:13:\#
            00Z","msisdn":72200000,"sender":"UAT2","transactiontype":"c2b-pay-bill-debit","billreference":"3\#
            7207636392","amount":"647.00","organizationname":"Daraja Pull API Test"},{"transactionId":"nZ84W\#
            xLx8p","trxDate":"2020-08-05T10:13:00Z","msisdn":72200000,"sender":"UAT2","transactiontype":"c2b\#
            -pay-bill-debit","billreference":"37207636392","amount":"876.00","organizationname":"Daraja Pull\#
             API Test"},{"transactionId":"9MFsu3cihH","trxDate":"2020-08-05T10:13:00Z","msisdn":72200000,"se\#
            nder":"UAT2","transactiontype":"c2b-pay-bill-debit","billreference":"37207636392","amount":"687.\#
            00","organizationname":"Daraja Pull API Test"},{"transactionId":"LjFzAtI088","trxDate":"2020-08-\#
            05T10:13:00Z","msisdn":72200000,"sender":"UAT2","transactiontype":"c2b-pay-bill-debit","billrefe\#
            rence":"37207636392","amount":"93.00","organizationname":"Daraja Pull API Test"}]]}
            """#
        ),
        (
            18, "Query, nothing found or not provisioned, HTTP 200",
            #"""
            {"ResponseCode":"1001","ResponseMessage":"No records found or Organization Name not available"}
            """#
        ),
        (
            19, "v3 docs",
            #"""
            {"Result":{"ResultType":"0","ResultCode":"0","ResultDesc":"The service request is processed succ\#
            essfully","OriginatorConversationID":"16917-22577599-3","ConversationID":"AG_20200206_00005e091a\#
            8ec6b9eac5","TransactionID":"OA90000000","ResultParameters":{"ResultParameter":[{"Key":"AccountB\#
            alance","Value":"Working Account|KES|700000.00|700000.00|0.00|0.00&Float Account|KES|0.00|0.00|0\#
            .00|0.00&Utility Account|KES|228037.00|228037.00|0.00|0.00&Charges Paid Account|KES|-1540.00|-15\#
            40.00|0.00|0.00&Organization Settlement Account|KES|0.00|0.00|0.00|0.00"},{"Key":"BOCompletedTim\#
            e","Value":"20200109125710"}]},"ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL","Value"\#
            :"https://internalsandbox.safaricom.co.ke/mpesa/abresults/v1/submit"}}}}
            """#
        ),
        (
            20, "2017 v1 docs",
            #"""
            {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request has b een accepted su\#
            ccessfully.","OriginatorConversationID":"19464-802673-1","ConversationID":"AG_20170728_0000589b6\#
            252f7f25488","TransactionID":"LGS0000000","ResultParameters":{"ResultParameter":[{"Key":"Account\#
            Balance","Value":"Working Account|KES|46713.00|46713.00|0.00|0.00&Float Account|KES|0.00|0.00|0.\#
            00|0.00&Utility Account|KES|49217.00|49217.00|0.00|0.00&Charges Paid Account|KES|-220.00|-220.00\#
            |0.00|0.00&Organization Settlement Account|KES|0.00|0.00|0.00|0.00"},{"Key":"BOCompletedTime","V\#
            alue":20170728095642}]},"ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL","Value":"https\#
            ://internalsandbox.safaricom.co.ke/mpesa/abresults/v1/submit"}}}}
            """#
        ),
        (
            21, "Production paybill, 2024-01-24",
            #"""
            {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request is processed successf\#
            ully.","OriginatorConversationID":"10571-7910404-1","ConversationID":"AG_20191219_00004e48cf7e35\#
            33f581","TransactionID":"SAO0000000","ResultParameters":{"ResultParameter":[{"Key":"ActionType",\#
            "Value":"AccountBalance"},{"Key":"AccountBalance","Value":"Working Account|KES|0.00|0.00|0.00|0.\#
            00&Utility Account|KES|0.00|0.00|0.00|0.00&Charges Paid Account|KES|0.00|0.00|0.00|0.00&Organiza\#
            tion Settlement Account|KES|0.00|0.00|0.00|0.00"},{"Key":"BOCompletedTime","Value":2024012416314\#
            0}]},"ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL","Value":"https://internalapi.safa\#
            ricom.co.ke/mpesa/abresults/v1/submit"}}}}
            """#
        ),
        (
            22, "Production shortcode with a Merchant Account, 2026-08-25",
            #"""
            {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request is processed successf\#
            ully.","OriginatorConversationID":"8d0a-4cf1-a3f3-ebad341607ad16074","ConversationID":"AG_202608\#
            25_010020480ucukatfpxp2","TransactionID":"UHP0000000","ResultParameters":{"ResultParameter":[{"K\#
            ey":"ActionType","Value":"AccountBalance"},{"Key":"AccountBalance","Value":"Working Account|KES|\#
            0.00|0.00|0.00|0.00&Utility Account|KES|0.00|0.00|0.00|0.00&Charges Paid Account|KES|0.00|0.00|0\#
            .00|0.00&Merchant Account|KES|0.00|0.00|0.00|0.00&Organization Settlement Account|KES|0.00|0.00|\#
            0.00|0.00"},{"Key":"BOCompletedTime","Value":20260825140947}]},"ReferenceData":{"ReferenceItem":\#
            {"Key":"QueueTimeoutURL","Value":"https://internalapi.safaricom.co.ke/mpesa/abresults/v1/submit"\#
            }}}}
            """#
        ),
        (
            23, "Success, v3 docs",
            #"""
            {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request is processed successf\#
            ully.","OriginatorConversationID":"dad6-4c34-8787-c8cb963a496d1268232","ConversationID":"AG_2021\#
            1114_201018edbbf9f1582eaa","TransactionID":"SKE52PAWR9","ResultParameters":{"ResultParameter":[{\#
            "Key":"DebitAccountBalance","Value":"Utility Account|KES|7722179.62|7722179.62|0.00|0.00"},{"Key\#
            ":"Amount","Value":1.00},{"Key":"TransCompletedTime","Value":20211114132711},{"Key":"OriginalTra\#
            nsactionID","Value":"SKC82PACB8"},{"Key":"Charge","Value":0.00},{"Key":"CreditPartyPublicName","\#
            Value":"254705912645 - NICHOLAS JOHN SONGOK"},{"Key":"DebitPartyPublicName","Value":"600992 - Sa\#
            faricom Daraja 992"}]},"ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL","Value":"https:\#
            //internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submit"}}}}
            """#
        ),
        (
            24, "Failure, R000002",
            #"""
            {"Result":{"ResultType":0,"ResultCode":"R000002","ResultDesc":"The OriginalTransactionID is inva\#
            lid.","OriginatorConversationID":"3124-481d-b706-10bdd6fbc8e21792398","ConversationID":"AG_20211\#
            114_2010573069aefb6b625a","TransactionID":"SKE0000000","ReferenceData":{"ReferenceItem":{"Key":"\#
            QueueTimeoutURL","Value":"https://internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submi\#
            t"}}}}
            """#
        ),
        (
            25, "Success, 2017 v1 docs, with no ResultParameters at all",
            #"""
            {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request has been accepted suc\#
            cessfully.","OriginatorConversationID":"10819-695089-1","ConversationID":"AG_20170727_00004efada\#
            cd98a01d15","TransactionID":"LGR019G3J2","ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutUR\#
            L","Value":"https://internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submit"}}}}
            """#
        ),
    ]
}
